package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// openTest opens a fresh, migrated store on the run's database.
func openTest(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// sqliteOnly skips what is SQLite's own (pragmas, its query planner's
// output) on the PostgreSQL run.
func sqliteOnly(t *testing.T, s *Store) {
	t.Helper()
	if s.Dialect() != "sqlite" {
		t.Skip("checks SQLite's own settings: runs on the SQLite run")
	}
}

func TestMigrateTwiceAndPragmas(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if s.Dialect() != "sqlite" {
		return
	}
	var mode string
	s.db.Raw("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var fk int
	s.db.Raw("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Errorf("foreign_keys = %d, want 1", fk)
	}
}

func TestClientEmailUniqueInAnyCase(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	c := &Client{Email: " Ann@Example.com ", Name: "Ann", Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	dup := &Client{Email: "ann@EXAMPLE.com", Name: "Other", Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, dup); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate email: got %v, want ErrDuplicate", err)
	}
	got, err := s.ClientByEmail(ctx, "ANN@example.COM")
	if err != nil || got.ID != c.ID {
		t.Fatalf("ClientByEmail = %v, %v", got, err)
	}
}

func TestListClientsPagesByKeyAndSearches(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for _, e := range []struct{ email, name, company, status string }{
		{"a@x.com", "Zed Alpha", "Acme", vocab.StatusActive},
		{"b@x.com", "Bea Beta", "", vocab.StatusInvited},
		{"c@x.com", "Cy Gamma", "Acme Legal", vocab.StatusActive},
		{"d@x.com", "Dee", "Other", vocab.StatusDisabled},
	} {
		c := &Client{Email: e.email, Name: e.name, Company: e.company, Status: e.status, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    vocab.ClientQuery
		want []string
	}{
		{"first page", vocab.ClientQuery{Limit: 2}, []string{"a@x.com", "b@x.com"}},
		{"next page", vocab.ClientQuery{Limit: 2, After: "b@x.com"}, []string{"c@x.com", "d@x.com"}},
		{"status", vocab.ClientQuery{Status: vocab.StatusActive}, []string{"a@x.com", "c@x.com"}},
		{"company prefix any case", vocab.ClientQuery{Search: "ACME"}, []string{"a@x.com", "c@x.com"}},
		{"name prefix", vocab.ClientQuery{Search: "bea"}, []string{"b@x.com"}},
		{"email prefix", vocab.ClientQuery{Search: "d@"}, []string{"d@x.com"}},
		{"no match", vocab.ClientQuery{Search: "zzz"}, nil},
		{"hostile search is just text", vocab.ClientQuery{Search: "%' OR 1=1 --"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListClients(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, c := range got {
				emails = append(emails, c.EmailNorm)
			}
			if len(emails) != len(tt.want) {
				t.Fatalf("got %v, want %v", emails, tt.want)
			}
			for i := range emails {
				if emails[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", emails, tt.want)
				}
			}
		})
	}
}

func TestInvitationAcceptedOnceAndResendRevokes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	c := &Client{Email: "a@x.com", Name: "A", Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	first := &Invitation{ClientID: c.ID, TokenHash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateInvitation(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := &Invitation{ClientID: c.ID, TokenHash: "h2", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateInvitation(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := s.AcceptInvitation(ctx, first.ID, now); !errors.Is(err, ErrConflict) {
		t.Fatalf("accept revoked invitation: got %v, want ErrConflict", err)
	}
	if err := s.AcceptInvitation(ctx, second.ID, now.Add(2*time.Hour)); !errors.Is(err, ErrConflict) {
		t.Fatalf("accept expired invitation: got %v, want ErrConflict", err)
	}
	if err := s.AcceptInvitation(ctx, second.ID, now); err != nil {
		t.Fatalf("accept open invitation: %v", err)
	}
	if err := s.AcceptInvitation(ctx, second.ID, now); !errors.Is(err, ErrConflict) {
		t.Fatalf("accept twice: got %v, want ErrConflict", err)
	}
}

func TestClaimMailLeases(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for i := 0; i < 3; i++ {
		m := &OutboxMessage{Kind: "test", ToAddr: "a@x.com", Subject: "s", Body: "b", CreatedAt: now}
		if err := s.EnqueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimMail(ctx, "test", now, time.Minute, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("first claim = %d, %v; want 2", len(got), err)
	}
	again, err := s.ClaimMail(ctx, "test", now, time.Minute, 10)
	if err != nil || len(again) != 1 {
		t.Fatalf("second claim = %d, %v; want the 1 unleased", len(again), err)
	}
	if err := s.MarkMailSent(ctx, got[0].ID, now); err != nil {
		t.Fatal(err)
	}
	later, err := s.ClaimMail(ctx, "test", now.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(later) != 2 {
		t.Fatalf("claim after lease = %d, %v; want the 2 unsent", len(later), err)
	}
}

func TestPragmasOnEveryConnectionAndPrivateFile(t *testing.T) {
	s := openTest(t)
	sqliteOnly(t, s)
	ctx := context.Background()
	sqlDB, _ := s.db.DB()
	// Hold several connections at once so the pool opens more than one.
	var conns []*sql.Conn
	for i := 0; i < 4; i++ {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var syncMode, fk int
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if syncMode != 2 || fk != 1 {
			t.Errorf("connection %d: synchronous=%d foreign_keys=%d, want FULL (2) and 1", i, syncMode, fk)
		}
		_ = c.Close()
	}
}

func TestOpenRefusesPathsTheDriverWouldMisread(t *testing.T) {
	for _, p := range []string{"a?b.db", "a#b.db", "a%20b.db"} {
		if _, err := Open(context.Background(), filepath.Join(t.TempDir(), p)); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
	path := filepath.Join(t.TempDir(), "private.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestSpendCodeTryNeverPastMax(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	c := &Client{Email: "a@x.com", Name: "A", Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	code := &Code{ClientID: c.ID, Purpose: CodeReset, CodeHash: "h", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var spent atomic.Int32
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.SpendCodeTry(ctx, code.ID, 5); err == nil && ok {
				spent.Add(1)
			}
		}()
	}
	wg.Wait()
	if spent.Load() != 5 {
		t.Fatalf("%d tries spent concurrently, want exactly 5", spent.Load())
	}
}

// TestTakeAttemptUnderConcurrency: 60 parallel attempts against a limit
// of 30 take exactly 30, and the 30 refused wrote nothing.
func TestTakeAttemptUnderConcurrency(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var wg sync.WaitGroup
	var under atomic.Int32
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, taken, err := s.TakeAttempt(ctx, AttemptLogin, "10.0.0.1", now, now.Add(-time.Minute), 30)
			if err != nil {
				t.Error(err)
			}
			if taken && n <= 30 {
				under.Add(1)
			}
		}()
	}
	wg.Wait()
	if under.Load() != 30 {
		t.Fatalf("%d of 60 concurrent attempts taken within a limit of 30", under.Load())
	}
	var rows int64
	if err := s.db.Model(&Attempt{}).Count(&rows).Error; err != nil || rows != 30 {
		t.Fatalf("%d attempt rows (%v); the refused attempts must write none", rows, err)
	}
}

// TestMigrateFromSeveralInstancesAtOnce: instances starting together on a
// new database each migrate; one does the work, the others find it done.
func TestMigrateFromSeveralInstancesAtOnce(t *testing.T) {
	dsn := dbtest.DSN(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx)
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, err := s.Health(ctx, time.Minute)
	if err != nil || len(h.Pending) != 0 {
		t.Fatalf("after migrating at once: pending %v, %v", h.Pending, err)
	}
}

// TestOpenWaitsWhileAnotherHoldsTheFile: opening a new SQLite database
// while another process's transaction holds it waits for that transaction
// instead of failing with "database is locked" (instances starting at once
// on a loaded machine did).
func TestOpenWaitsWhileAnotherHoldsTheFile(t *testing.T) {
	if dbtest.Backend() != dbtest.SQLite {
		t.Skip("SQLite's file lock")
	}
	path := dbtest.DSN(t)
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	hold, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec("CREATE TABLE held (x); INSERT INTO held VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		s, err := Open(context.Background(), path)
		if err == nil {
			err = s.Close()
		}
		opened <- err
	}()
	// The other process keeps its lock a moment, then commits.
	select {
	case err := <-opened:
		t.Fatalf("Open returned while the file was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open after the other's commit: %v", err)
	}
}

// TestMigrateWaitsPastTheLockTimeout: an instance starting while another
// migrates waits for it, however long, rather than failing on the
// lock_timeout that normal work has.
func TestMigrateWaitsPastTheLockTimeout(t *testing.T) {
	dsn := dbtest.PostgresDSN(t) + "&lock_timeout=100ms" // the URL has a query already
	ctx := context.Background()
	holder, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error; err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	time.AfterFunc(500*time.Millisecond, func() { close(release) })
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate while another instance held the lock for 500 ms: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRecordLoginOnlyWithTheCheckedPassword: a log in whose password was
// checked against a hash that has changed since (a reset) is not recorded,
// and its rehash never writes the old password back.
func TestRecordLoginOnlyWithTheCheckedPassword(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	c := &Client{Email: "a@x.com", Name: "A", Status: vocab.StatusActive, PasswordHash: "old", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	reset := "new"
	if err := s.UpdateClient(ctx, c.ID, ClientUpdate{PasswordHash: &reset}); err != nil {
		t.Fatal(err)
	}
	rehash := "old-rehashed"
	if ok, err := s.RecordLogin(ctx, c.ID, "old", LoginTry{Allowed: true, N: 1}, now, &rehash); err != nil || ok {
		t.Fatalf("record a log in checked against the old hash = %v, %v; want refused", ok, err)
	}
	got, err := s.ClientByID(ctx, c.ID)
	if err != nil || got.PasswordHash != "new" || got.LastLoginAt != nil {
		t.Fatalf("after the refused record: %+v %v", got, err)
	}
	if ok, err := s.RecordLogin(ctx, c.ID, "new", LoginTry{Allowed: true, N: 1}, now, nil); err != nil || !ok {
		t.Fatalf("record a log in with the current hash = %v, %v", ok, err)
	}
}

// TestReserveLoginTryIsTheLimit: parallel reservations on one account get
// exactly the limit between them before the lock, the one that reaches it
// holds the lock, and a log in checked by an earlier reservation cannot
// open the locked account, while the one that took the lock may.
func TestReserveLoginTryIsTheLimit(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	c := &Client{Email: "a@x.com", Name: "A", Status: vocab.StatusActive, PasswordHash: "h", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	const limit = 5
	lockFor := func(n int) time.Duration {
		if n < limit {
			return 0
		}
		return 15 * time.Minute
	}
	const parallel = 40
	tries := make([]LoginTry, parallel)
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			try, err := s.ReserveLoginTry(ctx, c.ID, now, lockFor)
			if err != nil {
				t.Error(err)
			}
			tries[i] = try
		}()
	}
	wg.Wait()
	allowed, locks := 0, 0
	var first, last LoginTry
	for _, try := range tries {
		if !try.Allowed {
			continue
		}
		allowed++
		if try.LockedUntil != nil {
			locks++
			last = try
		}
		if try.N == 1 {
			first = try
		}
	}
	if allowed != limit || locks != 1 || last.N != limit {
		t.Fatalf("%d parallel reservations: %d allowed, %d took the lock (N=%d); want %d allowed and one lock at N=%d", parallel, allowed, locks, last.N, limit, limit)
	}
	if ok, err := s.RecordLogin(ctx, c.ID, "h", first, now, nil); err != nil || ok {
		t.Fatalf("a log in reserved before the lock, recorded after it = %v, %v; want refused", ok, err)
	}
	if ok, err := s.RecordLogin(ctx, c.ID, "h", last, now, nil); err != nil || !ok {
		t.Fatalf("the log in whose own reservation took the lock = %v, %v; want recorded", ok, err)
	}
	got, err := s.ClientByID(ctx, c.ID)
	if err != nil || got.FailedLogins != 0 || got.LockedUntil != nil {
		t.Fatalf("after the success: %+v %v; want the count and lock cleared", got, err)
	}
}
