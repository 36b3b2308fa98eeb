package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/go-gormigrate/gormigrate/v2"
)

func postgresOnly(t *testing.T, s *Store) {
	t.Helper()
	if s.Dialect() != "postgres" {
		t.Skip("checks PostgreSQL's search column: runs on the PostgreSQL run")
	}
}

func TestInsertChunks(t *testing.T) {
	order := make([]int, 12000)
	for i := range order {
		order[i] = i
	}
	tests := []struct {
		n     int
		ramp  bool
		sizes []int
	}{
		{0, false, nil},
		{1, false, []int{1}},
		{5000, false, []int{5000}},
		{12000, false, []int{5000, 5000, 2000}},
		{400, true, []int{400}},
		{12000, true, []int{500, 750, 1125, 1687, 2530, 3795, 1613}},
	}
	for _, tt := range tests {
		var sizes []int
		next := 0
		for _, c := range insertChunks(order[:tt.n], 5000, tt.ramp) {
			sizes = append(sizes, len(c))
			if c[0] != next {
				t.Fatalf("%d rows, ramp %v: chunk starts at %d, want %d", tt.n, tt.ramp, c[0], next)
			}
			next += len(c)
		}
		if !slices.Equal(sizes, tt.sizes) {
			t.Errorf("%d rows, ramp %v: sizes %v, want %v", tt.n, tt.ramp, sizes, tt.sizes)
		}
	}
}

// bulkClients are n clients whose names and companies go through every
// step of the search document: diacritics, other scripts, punctuation,
// digits, what the parser reads as numbers, nothing at all.
func bulkClients(n int) []Client {
	names := []string{"Zoë Smithers", "प्रिया शर्मा", "山田 太郎", "Seán Oʼbrien", "J.-P. O'Neil", "1e5x 3.14 v2", "A", "", "ŉa «Ünïcode»—test…"}
	companies := []string{"", "Acme & Co, LLC", "東京法律", "Müller–Lüdenscheidt GmbH", "x/y\\z:1"}
	now := time.Now().UTC()
	cs := make([]Client, n)
	for i := range cs {
		cs[i] = Client{
			Email:  fmt.Sprintf("p%d.%s@ex-%d.com", i, []string{"ann", "zoë", "o'neil", "1e5"}[i%4], i%7),
			Name:   fmt.Sprintf("%s %d", names[i%len(names)], i),
			Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now,
		}
		cs[i].Company = companies[i%len(companies)]
	}
	return cs
}

// TestBulkInsertStoresTheHelpersDocuments inserts enough clients for the
// helper, with the trigger off, so that only the first chunk is left
// without a document: every other row has the helper's, and it is the
// document of that very row.
func TestBulkInsertStoresTheHelpersDocuments(t *testing.T) {
	s := openTest(t)
	postgresOnly(t, s)
	ctx := context.Background()
	if err := s.db.Exec("ALTER TABLE clients DISABLE TRIGGER clients_search_insert").Error; err != nil {
		t.Fatal(err)
	}
	cs := bulkClients(3*searchHelperMin + 17)
	n, err := s.CreateNewClients(ctx, cs)
	if err != nil || n != len(cs) {
		t.Fatalf("CreateNewClients: %d, %v", n, err)
	}
	var missing, wrong int64
	if err := s.db.Raw("SELECT count(*) FROM clients WHERE search IS NULL").Scan(&missing).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Raw(`SELECT count(*) FROM clients WHERE search IS NOT NULL
		AND search IS DISTINCT FROM public.portal_search_doc(name_norm, company_norm, email_norm)`).Scan(&wrong).Error; err != nil {
		t.Fatal(err)
	}
	if missing != int64(searchFirstChunk) || wrong != 0 {
		t.Fatalf("%d rows without a document (want the first chunk's %d), %d with another row's", missing, searchFirstChunk, wrong)
	}
}

// TestBulkInsertFindsWhatOneByOneFinds compares searches over clients
// inserted in bulk (the helper's documents) with the same clients inserted
// one by one (the trigger's).
func TestBulkInsertFindsWhatOneByOneFinds(t *testing.T) {
	bulk, single := openTest(t), openTest(t)
	ctx := context.Background()
	cs := bulkClients(searchHelperMin + 100)
	if n, err := bulk.CreateNewClients(ctx, cs); err != nil || n != len(cs) {
		t.Fatalf("CreateNewClients: %d, %v", n, err)
	}
	for _, c := range bulkClients(searchHelperMin + 100) {
		if err := single.CreateClient(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	// Each finds some clients, fewer than a page of 1000.
	for _, q := range []string{"zoe", "zoë smi", "शर्मा", "山田", "oʼbr", "o neil", "1e5", "3 14", "v2", "a 1", "ünï", "acme co", "東京", "muller", "x y z", "ex 3", "p12"} {
		var got [2][]string
		for i, s := range []*Store{bulk, single} {
			list, err := s.ListClients(ctx, vocab.ClientQuery{Search: q, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			got[i] = emailsOf(list)
			slices.Sort(got[i])
		}
		if len(got[0]) == 0 || len(got[0]) >= 1000 || !slices.Equal(got[0], got[1]) {
			t.Errorf("search %q: bulk %d clients, one by one %d", q, len(got[0]), len(got[1]))
		}
	}
}

func TestSearchHelperWithoutAConnection(t *testing.T) {
	cs := bulkClients(searchHelperMin)
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	chunks := insertChunks(order, clientsPerInsert, true)
	h := startSearchHelper(context.Background(), nil, cs, chunks)
	defer h.close()
	if h.cleans {
		t.Error("cleans without a connection")
	}
	for k := range chunks {
		if docs, ok := h.chunkDocs(k, nil); docs != nil || !ok {
			t.Errorf("chunk %d: %d documents, %v", k, len(docs), ok)
		}
	}
}

// TestMigration0005OnAnExistingDatabase upgrades a database with clients
// made before 0005: their documents are kept and still found, the unused
// indexes are gone, and writes keep the documents in step.
func TestMigration0005OnAnExistingDatabase(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := gormigrate.New(s.db, gormigrate.DefaultOptions, migrations()).RollbackTo("0004_instances"); err != nil {
		t.Fatal(err)
	}
	for _, idx := range []string{"idx_clients_status", "idx_clients_name_norm", "idx_clients_company_norm"} {
		if !s.db.Migrator().HasIndex(&Client{}, idx) {
			t.Fatalf("before 0005: no %s", idx)
		}
	}
	// One by one: the bulk insert writes the search column, which is
	// generated before 0005. Without the columns of later migrations.
	old := bulkClients(50)
	for i := range old {
		c := &old[i]
		c.EmailNorm, c.NameNorm, c.CompanyNorm = NormalizeEmail(c.Email), NormalizeSearch(c.Name), NormalizeSearch(c.Company)
		if err := s.db.WithContext(ctx).Omit("SessionsGen").Create(c).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, idx := range []string{"idx_clients_status", "idx_clients_name_norm", "idx_clients_company_norm"} {
		if s.db.Migrator().HasIndex(&Client{}, idx) {
			t.Errorf("after 0005: %s is still there", idx)
		}
	}
	find := func(q string) []string {
		t.Helper()
		got, err := s.ListClients(ctx, vocab.ClientQuery{Search: q, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return emailsOf(got)
	}
	if got := find("zoe smithers 0"); !slices.Equal(got, []string{old[0].EmailNorm}) {
		t.Errorf("an old client: %v", got)
	}
	name := "Walker Hartwell"
	if err := s.UpdateClient(ctx, old[0].ID, ClientUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got := find("hartw"); !slices.Equal(got, []string{old[0].EmailNorm}) {
		t.Errorf("after a rename: %v", got)
	}
	if got := find("zoe smithers 0"); got != nil {
		t.Errorf("the old name is still found: %v", got)
	}
	one := Client{Email: "new@x.com", Name: "Newcomer Quill", Status: vocab.StatusInvited}
	if err := s.CreateClient(ctx, &one); err != nil {
		t.Fatal(err)
	}
	if got := find("qui new"); !slices.Equal(got, []string{"new@x.com"}) {
		t.Errorf("a new client: %v", got)
	}
	if s.Dialect() != "postgres" {
		return
	}
	// A document written by hand does not stick: the trigger makes it
	// again from the columns.
	if err := s.db.Exec("UPDATE clients SET search = 'bogus'::tsvector WHERE id = ?", one.ID).Error; err != nil {
		t.Fatal(err)
	}
	var wrong int64
	if err := s.db.Raw(`SELECT count(*) FROM clients
		WHERE search IS DISTINCT FROM public.portal_search_doc(name_norm, company_norm, email_norm)`).Scan(&wrong).Error; err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Errorf("%d clients whose document is not the function's", wrong)
	}
}
