package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// TestRequestListsUseIndexes reads SQLite's plan for every list of
// requests: each must walk an index, never scan the table or sort it in a
// temporary b-tree, so a page costs the same with a million requests.
func TestRequestListsUseIndexes(t *testing.T) {
	s := openTest(t)
	sqliteOnly(t, s)
	ctx := context.Background()
	before := &Request{ID: 10}
	tests := []struct {
		name   string
		client bool
		q      RequestQuery
	}{
		{"queue", false, RequestQuery{}},
		{"queue next page", false, RequestQuery{BeforeID: 100}},
		{"by status", false, RequestQuery{Status: RequestNew, BeforeID: 100}},
		{"by type", false, RequestQuery{TypeID: 3, BeforeID: 100}},
		{"by assignee", false, RequestQuery{Assignee: "sam", BeforeID: 100}},
		{"unassigned", false, RequestQuery{Unassigned: true}},
		{"by client", false, RequestQuery{ClientID: 7, BeforeID: 100}},
		{"client's list", true, RequestQuery{ClientID: 7}},
		{"client's next page", true, RequestQuery{ClientID: 7, Before: before}},
		{"client's list by status", true, RequestQuery{ClientID: 7, Status: RequestDone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := s.queueQuery(ctx, tc.q)
			if tc.client {
				db = s.clientRequestsQuery(ctx, tc.q)
			}
			plan := explain(t, s, db)
			indexed := strings.Contains(plan, "USING INDEX") || strings.Contains(plan, "PRIMARY KEY")
			if strings.Contains(plan, "TEMP B-TREE") || (!indexed && tc.name != "queue") {
				t.Fatalf("plan:\n%s", plan)
			}
		})
	}
	// The thread of one request, and the pending notice of one request.
	plan := explain(t, s, s.with(ctx).Model(&RequestEvent{}).Where("request_id = ? AND id >= ?", 1, 0).Order("id DESC").Limit(50))
	if !strings.Contains(plan, "idx_request_events_request") || strings.Contains(plan, "TEMP B-TREE") {
		t.Fatalf("events plan:\n%s", plan)
	}
	plan = explain(t, s, s.with(ctx).Model(&OutboxMessage{}).Where("request_id = ? AND kind = ?", 1, "x"))
	if !strings.Contains(plan, "idx_outbox_request") {
		t.Fatalf("notice plan:\n%s", plan)
	}
}

// explain returns SQLite's query plan for the query db would run.
func explain(t *testing.T, s *Store, db *gorm.DB) string {
	t.Helper()
	stmt := db.Session(&gorm.Session{DryRun: true}).Find(&[]map[string]any{}).Statement
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
	c := &Client{Email: "a@x.com", Name: "Ann", Status: StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	rt := &RequestType{Name: "T", Fields: "[]", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateRequestType(ctx, rt); err != nil {
		t.Fatal(err)
	}
	r := &Request{ClientID: c.ID, TypeID: rt.ID, TypeName: "T", Fields: "[]", Status: RequestNew, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now}
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		e := &RequestEvent{RequestID: r.ID, At: now, Kind: EventNote, AuthorKind: ActorStaff, Author: "sam", Body: fmt.Sprint(i), Internal: i == 5}
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
