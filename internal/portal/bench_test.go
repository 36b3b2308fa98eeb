package portal_test

// Benchmarks of the console's client list and of the CSV import at
// 1,000,000 clients (DESIGN.md "Performance targets"; BENCHMARKS.md
// "Console and import at 1,000,000 clients"). Nothing here runs under plain
// `go test`: the million-row database is made only when a benchmark asks.
//
//	go test -run '^$' -bench 'BenchmarkClients' -benchtime=20x ./internal/portal/
//	go test -run '^$' -bench 'BenchmarkImportMillion' -benchtime=1x ./internal/portal/
//
// PORTAL_BENCH_CLIENTS changes the size (default 1000000). The seeded
// database is cached in the temp directory, named by size and seed version,
// so later runs reuse it; PORTAL_BENCH_RESEED=1 makes it again.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/store/dbtest"
	"github.com/clientportal/portal/internal/text"
)

// benchSeedVersion names the cached database: bump it when the generator
// or the schema changes.
const benchSeedVersion = "v4"

var (
	firstNames = strings.Fields(`Ann Anna Adam Alice Amelia Ava Ben Bella Bob Carl Caroline Charlotte Chloe Chris
		Claire Daniel David Diana Dylan Edward Elena Eli Ella Emily Emma Eric Ethan Eva Felix Fiona Frank
		Gabriel George Grace Hannah Harry Helen Henry Isaac Isabel Ivy Jack Jacob James Jane Jason Jessica
		Joan John Jonas Julia Karen Kate Kevin Laura Leo Liam Lily Louis Lucas Lucy Luke Maria Mark Martha
		Mary Matthew Maya Mia Michael Nadia Nathan Nina Noah Olivia Omar Oscar Owen Paul Peter Philip Rachel
		Robert Rose Ruth Ryan Sam Sarah Simon Sofia Sophie Stella Susan Thomas Tom Victor Vincent Walter
		William Yusuf Zoe Zara Hugo Ines Jose Chloé Zoë Renée Andrés Léa Noé`)
	lastNames = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
		Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White
		Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
		Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans
		Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez
		Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks
		Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long
		Ross Foster Jimenez Smithers Smithson Dubois Durand Lefebvre Moreau Laurent Simon Michel Leroy
		Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller
		Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Rossi Russo Ferrari Esposito
		Bianchi Romano Colombo Ricci Marino Greco Novak Kowalski Nowak Horvat Jensen Hansen Nielsen Larsen
		O'Brien O'Connor McCarthy Byrne Walsh Ryan Doyle Kennedy Lynch Murray Quinn Moore Brennan`)
	companyWords = strings.Fields(`Acme Apex Atlas Beacon Birch Blue Bright Cedar Crown Delta Eagle Echo
		Falcon Fern Forge Granite Harbor Hawk Horizon Iron Jade Keystone Lakeside Legacy Maple Meridian
		Nova Oak Orion Peak Pine Pioneer Prime Quantum Raven Redwood Ridge River Sage Silver Sterling Stone
		Summit Sun Titan Trinity Unity Valley Vertex Willow Zenith Northwind Southgate Westbrook Eastfield
		Hartwell Blackstone Whitmore Ashford Kingsley Thornton Fairview Greenleaf Highland Lowell`)
	companyKinds = strings.Fields(`Holdings Partners Group Industries Logistics Capital Ventures Consulting
		Systems Foods Media Energy Realty Labs Trading Health Legal Motors Pharma Textiles`)
	companySuffix = []string{"", "", "Ltd", "LLC", "Inc", "SA", "GmbH", "& Co", "LLP"}
	freeDomains   = []string{"gmail.com", "outlook.com", "yahoo.com", "proton.me", "hotmail.com", "icloud.com", "orange.fr", "gmx.de"}
)

// benchClient is one generated client: realistic names from small word
// lists, a unique email, a company for most.
type benchClient struct {
	email, name, company, phone, status string
}

// genClient makes client i of a run; the same i always gives the same
// client.
func genClient(i int) benchClient {
	r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	first := firstNames[r.IntN(len(firstNames))]
	last := lastNames[r.IntN(len(lastNames))]
	var c benchClient
	c.name = first + " " + last
	if r.IntN(10) < 7 {
		c.company = companyWords[r.IntN(len(companyWords))] + " " + companyKinds[r.IntN(len(companyKinds))]
		if s := companySuffix[r.IntN(len(companySuffix))]; s != "" {
			c.company += " " + s
		}
	}
	local := asciiLower(first) + "." + asciiLower(last)
	switch r.IntN(4) {
	case 0:
		local = asciiLower(first[:1]) + asciiLower(last)
	case 1:
		local = asciiLower(first) + "_" + asciiLower(last)
	}
	local += strconv.Itoa(i) // unique
	domain := freeDomains[r.IntN(len(freeDomains))]
	if c.company != "" && r.IntN(2) == 0 {
		domain = asciiLower(strings.Fields(c.company)[0]) + "-" + asciiLower(strings.Fields(c.company)[1]) + ".com"
	}
	c.email = local + "@" + domain
	if r.IntN(3) > 0 {
		c.phone = fmt.Sprintf("+1 555 %03d %04d", r.IntN(1000), r.IntN(10000))
	}
	switch p := r.IntN(100); {
	case p < 55:
		c.status = vocab.StatusActive
	case p < 90:
		c.status = vocab.StatusInvited
	case p < 93:
		c.status = vocab.StatusAwaiting
	case p < 98:
		c.status = vocab.StatusDisabled
	default:
		c.status = vocab.StatusRejected
	}
	return c
}

// asciiLower lower-cases and keeps only ASCII letters, for email local
// parts made from names such as "O'Brien" or "Chloé".
func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'é' || r == 'è':
			b.WriteByte('e')
		case r == 'ë':
			b.WriteByte('e')
		}
	}
	return b.String()
}

func benchSize() int {
	if v, err := strconv.Atoi(os.Getenv("PORTAL_BENCH_CLIENTS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

var (
	seedOnce sync.Once
	seedPath string
	seedErr  error
)

// seededDB returns the path of a migrated database holding benchSize()
// clients, one in ten with an invitation, made once and cached.
func seededDB(b *testing.B) string {
	b.Helper()
	seedOnce.Do(func() {
		n := benchSize()
		if dbtest.Backend() == dbtest.Postgres {
			// Not cached: the throwaway server lives as long as this
			// process, and the database with it.
			start := time.Now()
			seedPath, seedErr = dbtest.NewPostgresDatabase()
			if seedErr == nil {
				seedErr = seedStore(seedPath, n)
			}
			if seedErr == nil {
				fmt.Fprintf(os.Stderr, "seeded %d clients into PostgreSQL in %v\n", n, time.Since(start).Round(time.Millisecond))
			}
			return
		}
		seedPath = filepath.Join(os.TempDir(), fmt.Sprintf("portal-bench-%s-%d.db", benchSeedVersion, n))
		if _, err := os.Stat(seedPath); err == nil && os.Getenv("PORTAL_BENCH_RESEED") == "" {
			return
		}
		start := time.Now()
		seedErr = seed(seedPath, n)
		if seedErr == nil {
			fmt.Fprintf(os.Stderr, "seeded %d clients into %s in %v\n", n, seedPath, time.Since(start).Round(time.Millisecond))
		}
	})
	if seedErr != nil {
		b.Fatal(seedErr)
	}
	return seedPath
}

// seed makes the database at path (through a temporary name, so that a
// half-made file is never reused) with the store's bulk insert.
func seed(path string, n int) error {
	ctx := context.Background()
	tmp := path + ".part"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
	if err := seedStore(tmp, n); err != nil {
		return err
	}
	// Fold the WAL into the file so the rename carries everything.
	st, err := store.Open(ctx, tmp)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	for _, p := range []string{tmp + "-wal", tmp + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("seed: %s left behind", p)
		}
	}
	return os.Rename(tmp, path)
}

// seedStore fills the database at dsn with n clients, one in ten with an
// invitation, and n requests.
func seedStore(dsn string, n int) error {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	const batch = 10_000
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cs := make([]store.Client, 0, batch)
	for lo := 0; lo < n; lo += batch {
		cs = cs[:0]
		for i := lo; i < min(lo+batch, n); i++ {
			g := genClient(i)
			at := base.Add(time.Duration(i) * time.Second)
			cs = append(cs, store.Client{Email: g.email, Name: g.name, Company: g.company, Phone: g.phone,
				Lang: "en", Status: g.status, CreatedAt: at, UpdatedAt: at})
		}
		err := st.Tx(ctx, func(tx *store.Store) error {
			if err := tx.CreateClients(ctx, cs); err != nil {
				return err
			}
			for i := range cs {
				if cs[i].ID%10 != 0 {
					continue
				}
				h := sha256.Sum256([]byte(cs[i].EmailNorm))
				inv := &store.Invitation{ClientID: cs[i].ID, TokenHash: hex.EncodeToString(h[:]), CreatedBy: "seed",
					CreatedAt: cs[i].CreatedAt, ExpiresAt: cs[i].CreatedAt.Add(24 * time.Hour)}
				if err := tx.CreateInvitation(ctx, inv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := seedRequests(ctx, st, n); err != nil {
		return err
	}
	return st.Close()
}

// benchAssignees are the staff names seeded requests are assigned to
// (and "" for none).
var benchAssignees = []string{"", "sam", "alex", "robin", "kim", "lee"}

// seedRequests gives the seeded clients n requests of five types, spread
// over the statuses and assignees, each with its submission event.
func seedRequests(ctx context.Context, st *store.Store, n int) error {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var types []uint64
	for i, name := range []string{"Contract review", "Document request", "Advice", "Dispute", "Company filing"} {
		t := &store.RequestType{Name: name, Fields: `[{"label":"Subject","kind":"text","required":true}]`, CreatedAt: base, UpdatedAt: base}
		if err := st.CreateRequestType(ctx, t); err != nil {
			return fmt.Errorf("seed type %d: %w", i, err)
		}
		types = append(types, t.ID)
	}
	const batch = 10_000
	statuses := vocab.RequestStatuses()
	for lo := 0; lo < n; lo += batch {
		err := st.Tx(ctx, func(tx *store.Store) error {
			for i := lo; i < min(lo+batch, n); i++ {
				r := rand.New(rand.NewPCG(uint64(i), 0x4e9))
				at := base.Add(time.Duration(i) * time.Second)
				req := &store.Request{
					ClientID: uint64(r.IntN(n) + 1), TypeID: types[r.IntN(len(types))], TypeName: "seeded",
					Summary: fmt.Sprintf("Seeded request %d", i), Fields: `[{"label":"Subject","kind":"text","value":"seeded"}]`,
					Status: statuses[r.IntN(len(statuses))], Assignee: benchAssignees[r.IntN(len(benchAssignees))],
					CreatedAt: at, UpdatedAt: at, ClientUpdatedAt: at, ClientSeenAt: at,
				}
				if err := tx.CreateRequest(ctx, req); err != nil {
					return err
				}
				e := &store.RequestEvent{RequestID: req.ID, At: at, Kind: vocab.EventSubmitted, AuthorKind: vocab.ActorClient, Author: "seed", Status: req.Status}
				if err := tx.AddRequestEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed requests: %w", err)
		}
	}
	return nil
}

// benchService opens the seeded database (migrating it, which is a no-op
// when current) behind a real Service.
func benchService(b *testing.B) *portal.Service {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, seededDB(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	cat, err := text.Load()
	if err != nil {
		b.Fatal(err)
	}
	return portal.New(st, auth.NewHasher(portaltest.FastParams(), 2), cat, portal.Config{PublicAddr: "portal.example.com:2222"})
}

var benchStaff = portal.Actor{Kind: vocab.ActorStaff, Name: "bench", Role: vocab.RoleSupport}

// latencies collects one duration per call and reports p50, p99 and max.
type latencies []time.Duration

func (l *latencies) time(fn func()) {
	t := time.Now()
	fn()
	*l = append(*l, time.Since(t))
}

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		i = max(0, min(i, len(s)-1))
		return float64(s[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}

func page(b *testing.B, svc *portal.Service, q vocab.ClientQuery) []portal.ClientSummary {
	b.Helper()
	q.Limit = 50
	rows, err := svc.ClientsPage(context.Background(), benchStaff, q)
	if err != nil {
		b.Fatal(err)
	}
	return rows
}

// BenchmarkClientsFirstPage is the console opening: the first 50 clients,
// and the first page of each status filter.
func BenchmarkClientsFirstPage(b *testing.B) {
	svc := benchService(b)
	for _, status := range append([]string{""}, vocab.ClientStatuses()...) {
		name := status
		if name == "" {
			name = "all"
		}
		b.Run(name, func(b *testing.B) {
			var l latencies
			for b.Loop() {
				l.time(func() {
					if rows := page(b, svc, vocab.ClientQuery{Status: status}); len(rows) != 50 {
						b.Fatalf("first page: %d rows", len(rows))
					}
				})
			}
			l.report(b)
		})
	}
}

// BenchmarkClientsSearchKeystrokes types queries one key at a time, as the
// console searches as you type, and times the first page after each key.
func BenchmarkClientsSearchKeystrokes(b *testing.B) {
	svc := benchService(b)
	queries := []struct{ name, text, status string }{
		{"name", "smith", ""},
		{"full-name", "ann smith", ""},
		{"first-name", "olivia", ""},
		{"email-prefix", "olivia.martin", ""},
		{"email-domain", "gmail.com", ""},
		{"company", "hartwell", ""},
		{"nothing", "qzxwv", ""},
		{"name+disabled", "smith", vocab.StatusDisabled},
		{"company+rejected", "hartwell", vocab.StatusRejected},
	}
	var all latencies
	for _, qq := range queries {
		b.Run(qq.name, func(b *testing.B) {
			var l latencies
			for b.Loop() {
				for i := 1; i <= len(qq.text); i++ {
					key := qq.text[:i]
					l.time(func() { page(b, svc, vocab.ClientQuery{Search: key, Status: qq.status}) })
				}
			}
			l.report(b)
			all = append(all, l...)
		})
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
		}
		all.report(b)
	})
}

// BenchmarkClientsNextPage follows the keyset cursor from deep inside the
// table: 20 pages from the email at about 90% of the order, and 20 pages of
// a broad search.
func BenchmarkClientsNextPage(b *testing.B) {
	svc := benchService(b)
	for _, c := range []struct{ name, after, search string }{
		{"browse-deep", "wi", ""},
		{"search-deep", "", "gmail"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var l latencies
			for b.Loop() {
				q := vocab.ClientQuery{Search: c.search, After: c.after}
				for range 20 {
					var rows []portal.ClientSummary
					l.time(func() { rows = page(b, svc, q) })
					if len(rows) != 50 {
						b.Fatalf("page after %q: %d rows", q.After, len(rows))
					}
					q.After = rows[len(rows)-1].EmailNorm
					q.AfterID = rows[len(rows)-1].ID
				}
			}
			l.report(b)
		})
	}
}

// importCSV is n generated clients as CSV with a header, a bad line in
// every 10,000 and a duplicate in every 1,000.
func importCSV(n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n * 80)
	buf.WriteString("email,name,company,phone\n")
	for i := 0; i < n; i++ {
		switch {
		case i%10_000 == 9_999:
			buf.WriteString("not-an-email,Nobody,,\n")
			continue
		case i%1_000 == 999:
			g := genClient(i - 1)
			fmt.Fprintf(&buf, "%s,%s,,\n", strings.ToUpper(g.email), g.name)
			continue
		}
		g := genClient(i)
		company := g.company
		if strings.ContainsAny(company, ",\"&") {
			company = `"` + strings.ReplaceAll(company, `"`, `""`) + `"`
		}
		fmt.Fprintf(&buf, "%s,%s,%s,%s\n", g.email, g.name, company, g.phone)
	}
	return buf.Bytes()
}

// BenchmarkImportMillion imports a 1,000,000-line CSV into a fresh
// database through ImportClients, as `clients import` does.
func BenchmarkImportMillion(b *testing.B) {
	n := benchSize()
	data := importCSV(n)
	b.SetBytes(int64(len(data)))
	var secs float64
	for b.Loop() {
		b.StopTimer()
		env := portaltest.New(b)
		b.StartTimer()
		start := time.Now()
		rep, err := env.Service.ImportClients(context.Background(), env.Admin(), bytes.NewReader(data), portal.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		secs = time.Since(start).Seconds()
		wantFailed := n / 10_000
		if rep.Failed != wantFailed || rep.Added+rep.Duplicates+rep.Failed != n {
			b.Fatalf("report: %d lines, %d added, %d duplicates, %d failed", rep.Lines, rep.Added, rep.Duplicates, rep.Failed)
		}
		b.ReportMetric(float64(rep.Lines-1)/secs, "rows/s")
		b.ReportMetric(secs, "s")
	}
	_ = secs
}

// BenchmarkRequestQueue times the staff queue's first page under every
// filter, a page deep in it, a client's own list and a request's page, at
// benchSize() requests (PORTAL_BENCH_CLIENTS, default a million).
func BenchmarkRequestQueue(b *testing.B) {
	svc := benchService(b)
	ctx := context.Background()
	admin := portal.System("bench")
	queue := func(b *testing.B, f portal.QueueFilter) []portal.QueueRow {
		f.Limit = 50
		rows, err := svc.RequestQueue(ctx, admin, f)
		if err != nil {
			b.Fatal(err)
		}
		return rows
	}
	filters := []struct {
		name string
		f    portal.QueueFilter
	}{
		{"all", portal.QueueFilter{}},
		{"type", portal.QueueFilter{TypeID: 3}},
		{"assignee", portal.QueueFilter{Assignee: "sam"}},
		{"unassigned", portal.QueueFilter{Assignee: portal.Unassigned}},
		{"deep", portal.QueueFilter{BeforeID: uint64(benchSize() / 2)}},
	}
	for _, st := range vocab.RequestStatuses() {
		filters = append(filters, struct {
			name string
			f    portal.QueueFilter
		}{"status-" + st, portal.QueueFilter{Status: st}})
	}
	for _, tc := range filters {
		b.Run(tc.name, func(b *testing.B) {
			var l latencies
			for b.Loop() {
				l.time(func() {
					if rows := queue(b, tc.f); len(rows) != 50 {
						b.Fatalf("%d rows", len(rows))
					}
				})
			}
			l.report(b)
		})
	}
	// A client with requests: the one the first request belongs to.
	first := queue(b, portal.QueueFilter{BeforeID: 2})
	if len(first) != 1 {
		b.Fatalf("request 1: %d rows", len(first))
	}
	b.Run("client-filter", func(b *testing.B) {
		var l latencies
		for b.Loop() {
			l.time(func() { queue(b, portal.QueueFilter{Client: first[0].ClientEmail}) })
		}
		l.report(b)
	})
	active, err := svc.ClientsPage(ctx, admin, vocab.ClientQuery{Status: vocab.StatusActive, Limit: 1})
	if err != nil || len(active) != 1 {
		b.Fatalf("an active client: %v", err)
	}
	client := portaltest.ClientActor(&active[0].Client)
	b.Run("request-page", func(b *testing.B) {
		var l latencies
		for b.Loop() {
			l.time(func() {
				if _, err := svc.RequestPage(ctx, admin, first[0].ID); err != nil {
					b.Fatal(err)
				}
			})
		}
		l.report(b)
	})
	b.Run("my-requests", func(b *testing.B) {
		var l latencies
		for b.Loop() {
			l.time(func() {
				if _, err := svc.MyRequests(ctx, client, "", nil, 50); err != nil {
					b.Fatal(err)
				}
			})
		}
		l.report(b)
	})
}
