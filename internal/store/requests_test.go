package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store/dbtest"
)

// TestRequestListsUseIndexes reads the database's plan for every list of
// requests: each must walk an index, never scan the table or sort it, so a
// page costs the same with a million requests. On PostgreSQL, whose
// planner rightly prefers a scan of the few rows a test holds, scans and
// sorts are priced out first, so the plan shows whether an index can
// serve the query in order at all.
func TestRequestListsUseIndexes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	before := &Request{ID: 10}
	tests := []struct {
		name   string
		client bool
		q      RequestQuery
	}{
		{"queue", false, RequestQuery{}},
		{"queue next page", false, RequestQuery{BeforeID: 100}},
		{"by status", false, RequestQuery{Status: vocab.RequestNew, BeforeID: 100}},
		{"by type", false, RequestQuery{TypeID: 3, BeforeID: 100}},
		{"by assignee", false, RequestQuery{Assignee: "sam", BeforeID: 100}},
		{"unassigned", false, RequestQuery{Unassigned: true}},
		{"by client", false, RequestQuery{ClientID: 7, BeforeID: 100}},
		{"client's list", true, RequestQuery{ClientID: 7}},
		{"client's next page", true, RequestQuery{ClientID: 7, Before: before}},
		{"client's list by status", true, RequestQuery{ClientID: 7, Status: vocab.RequestDone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := s.queueQuery(ctx, tc.q)
			if tc.client {
				db = s.clientRequestsQuery(ctx, tc.q)
			}
			plan := explain(t, s, db)
			if sorts(plan) || (!indexed(plan) && !(tc.name == "queue" && s.Dialect() == "sqlite")) {
				t.Fatalf("plan:\n%s", plan)
			}
		})
	}
	// The thread of one request, and the pending notice of one request.
	plan := explain(t, s, s.with(ctx).Model(&RequestEvent{}).Where("request_id = ? AND id >= ?", 1, 0).Order("id DESC").Limit(50))
	if !strings.Contains(plan, "idx_request_events_request") || sorts(plan) {
		t.Fatalf("events plan:\n%s", plan)
	}
	plan = explain(t, s, s.with(ctx).Model(&OutboxMessage{}).Where("request_id = ? AND kind = ?", 1, "x"))
	if !strings.Contains(plan, "idx_outbox_request") {
		t.Fatalf("notice plan:\n%s", plan)
	}
}

// TestClientSearchUsesItsIndex: a search walks the full-text index, on
// either database.
func TestClientSearchUsesItsIndex(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if s.Dialect() == "sqlite" {
		// FTS5 is the index itself: a MATCH cannot run otherwise.
		t.Skip("SQLite searches through its FTS5 table by construction")
	}
	// Enough clients that reading them all costs more than the index,
	// few of them matching.
	var cs []Client
	for i := range 5000 {
		cs = append(cs, Client{Email: fmt.Sprintf("c%d@example.com", i), Name: fmt.Sprintf("Client %d", i), Status: vocab.StatusActive})
	}
	cs[42].Name, cs[42].Company = "Ann Smith", "Acme"
	if err := s.CreateClients(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("ANALYZE clients").Error; err != nil {
		t.Fatal(err)
	}
	db := s.with(ctx).Model(&Client{}).
		Where("search @@ public.portal_search_query(?)", textArray{"smi", "acme"}).
		Where("id > ?", 0).Order("id").Limit(50)
	if plan := explain(t, s, db); !strings.Contains(plan, "idx_clients_search") {
		t.Fatalf("plan:\n%s", plan)
	}
}

// indexed reports a plan that reads through an index.
func indexed(plan string) bool {
	for _, s := range []string{"USING INDEX", "PRIMARY KEY", "Index Scan", "Index Only Scan", "Bitmap Index Scan"} {
		if strings.Contains(plan, s) {
			return true
		}
	}
	return false
}

// sorts reports a plan that sorts rows (a temporary b-tree on SQLite).
func sorts(plan string) bool {
	return strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort  (") || strings.Contains(plan, "Sort\n")
}

// explain returns the database's query plan for the query db would run.
func explain(t *testing.T, s *Store, db *gorm.DB) string {
	t.Helper()
	stmt := db.Session(&gorm.Session{DryRun: true}).Find(&[]map[string]any{}).Statement
	if s.Dialect() == "postgres" {
		return explainPostgres(t, s, stmt.SQL.String(), stmt.Vars)
	}
	rows, err := s.db.Raw("EXPLAIN QUERY PLAN "+stmt.SQL.String(), stmt.Vars...).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

func TestRequestEventsKeepsTheLatest(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	c := &Client{Email: "a@x.com", Name: "Ann", Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	rt := &RequestType{Name: "T", Fields: "[]", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateRequestType(ctx, rt); err != nil {
		t.Fatal(err)
	}
	r := &Request{ClientID: c.ID, TypeID: rt.ID, TypeName: "T", Fields: "[]", Status: vocab.RequestNew, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now}
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		e := &RequestEvent{RequestID: r.ID, At: now, Kind: vocab.EventNote, AuthorKind: vocab.ActorStaff, Author: "sam", Body: fmt.Sprint(i), Internal: i == 5}
		if err := s.AddRequestEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RequestEvents(ctx, EventQuery{RequestID: r.ID, Last: 3})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, e := range got {
		bodies = append(bodies, e.Body)
	}
	if strings.Join(bodies, ",") != "2,3,4" {
		t.Fatalf("last 3 visible events = %v, want 2,3,4", bodies)
	}
}

// TestMigration0003OnAnExistingDatabase upgrades a database made by the
// previous release (migrations up to 0002, with mail in its outbox): the
// old mail reads back unchanged, and requests work.
func TestMigration0003OnAnExistingDatabase(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := gormigrate.New(s.db.WithContext(ctx), gormigrate.DefaultOptions, migrations())
	if err := old.MigrateTo("0002_client_search"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := s.db.Exec(`INSERT INTO outbox_messages (kind, to_addr, subject, body, state, next_attempt_at, attempts, last_error, created_at)
		VALUES ('invitation', 'a@x.com', 'Hi', 'body', 'queued', ?, 0, '', ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimMail(ctx, "test", now.Add(time.Second), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Body != "body" || claimed[0].RequestID != nil {
		t.Fatalf("old mail after the upgrade: %+v, %v", claimed, err)
	}
	rt := &RequestType{Name: "T", Fields: "[]", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateRequestType(ctx, rt); err != nil {
		t.Fatal(err)
	}
	if types, err := s.ListRequestTypes(ctx, true); err != nil || len(types) != 1 {
		t.Fatalf("types after the upgrade: %+v, %v", types, err)
	}
}

// explainPostgres is PostgreSQL's plan for query with scans and sorts
// priced out (see TestRequestListsUseIndexes).
func explainPostgres(t *testing.T, s *Store, query string, vars []any) string {
	t.Helper()
	off := []string{"enable_seqscan", "enable_sort", "enable_bitmapscan"}
	if strings.Contains(query, "portal_search_query") {
		// A GIN index is read by bitmap scans only, and its matches
		// sorted by id; the walk in id order, which the planner rightly
		// takes for a common word, is priced out with the full scan.
		off = []string{"enable_seqscan", "enable_indexscan"}
	}
	var lines []string
	err := s.db.Transaction(func(tx *gorm.DB) error {
		for _, setting := range off {
			if err := tx.Exec("SET LOCAL " + setting + " = off").Error; err != nil {
				return err
			}
		}
		// Straight to the driver: the query already holds its $n
		// placeholders, which gorm's Raw would not bind.
		rows, err := tx.Statement.ConnPool.QueryContext(context.Background(), "EXPLAIN "+query, vars...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			lines = append(lines, line)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
