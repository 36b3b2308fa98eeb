// Package store keeps the portal's data: gorm models, versioned migrations
// and every query. It is the only package that knows which database it runs
// on (SQLite by default, PostgreSQL for several instances); nothing above it
// writes SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Errors callers act on.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	// ErrConflict means a conditional update found the row changed by
	// someone else first (an invitation accepted twice at once, say).
	ErrConflict = errors.New("changed by someone else")
)

// Store is the portal's database. A Store made by Tx runs every call inside
// that transaction.
type Store struct {
	db      *gorm.DB
	beat    *gorm.DB // PostgreSQL: the heartbeat's own connection (see liveness)
	dialect string
	retries *atomic.Uint64 // transactions run again after a conflict, shared with Tx's stores
}

// Open connects to dsn: a postgres:// URL, or otherwise a SQLite file path.
// The SQLite file's directory is created if missing. Migrations are not run;
// call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

// IsPostgres tells a PostgreSQL URL from a SQLite path.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqliteBusyTimeout bounds how long a write waits for another to finish.
const sqliteBusyTimeout = 10 * time.Second

func openSQLite(ctx context.Context, path string) (*Store, error) {
	// The driver reads "?" as the start of its options, and "#" and "%"
	// have meanings in a file: URI: a path holding them would open some
	// other file, without the pragmas below.
	if strings.ContainsAny(path, "?#%") {
		return nil, fmt.Errorf("open database %s: the path may not contain ?, # or %%", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	// Made here so that it is private from the start: SQLite would create
	// it readable by everyone, and its WAL and shared-memory files take
	// its mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	_ = f.Close()
	if err := toWAL(ctx, path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// WAL lets readers run beside the writer; the busy timeout makes a
	// second writer wait rather than fail; immediate transactions take the
	// write lock up front, so two read-then-write transactions cannot
	// deadlock into SQLITE_BUSY. synchronous(FULL) syncs the WAL at every
	// commit: NORMAL could lose the last confirmed writes on a power cut.
	// The pragmas are in the DSN so that every pooled connection has them.
	// (WAL itself is a mode of the file, set once by toWAL.)
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	// Statement journals and sorts in memory, not temp files; a page cache
	// of up to 64 MiB per connection (the default is 2 MiB) keeps the
	// upper levels of the indexes of a million clients in memory, for
	// searches and for bulk inserts that touch pages all over them.
	q.Add("_pragma", "temp_store(2)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sqlDB, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db, err := gorm.Open(&sqlite.Dialector{DSN: dsn, Conn: newWriteGate(sqlDB, sqliteBusyTimeout)}, &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &Store{db: db, dialect: "sqlite", retries: new(atomic.Uint64)}, nil
}

// toWAL puts the database file in WAL mode, which then holds for every
// connection to it. A new file's change of mode takes its lock, and SQLite
// answers SQLITE_BUSY at once, without waiting out the busy timeout, when
// the connection asking already reads the file while another one is
// writing it (waiting could deadlock them): instances opening a new
// database together hit that. So the change is tried again, for up to the
// busy timeout, on a connection of its own before the pool opens.
func toWAL(ctx context.Context, path string) error {
	db, err := sql.Open(sqlite.DriverName, "file:"+path+"?"+url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds())},
	}.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(sqliteBusyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("journal mode is %q, not wal", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("set the journal mode to WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY.
func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code == sqliteBusy
}

// Close releases the connections.
func (s *Store) Close() error {
	for _, db := range []*gorm.DB{s.beat, s.db} {
		if db == nil {
			continue
		}
		sqlDB, err := db.DB()
		if err != nil {
			return err
		}
		if err := sqlDB.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		migration0001(),
		migration0002(),
		migration0003(),
		migration0004(),
		migration0005(),
		migration0006(),
		migration0007(),
	}
}

// Migrate brings the schema up to date. It is safe to run at every start,
// and by several instances starting at once: the whole of it is one
// transaction (both databases change their schema transactionally), which
// on SQLite holds the write lock from its start and on PostgreSQL first
// takes an advisory lock, so the instances migrate one after the other
// and the later ones find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			// A migration may build an index over millions of rows, and
			// an instance waits for another's migration: neither is
			// held to the per-statement limits of normal work.
			for _, q := range []string{"SET LOCAL statement_timeout = 0", "SET LOCAL lock_timeout = 0"} {
				if err := tx.Exec(q).Error; err != nil {
					return err
				}
			}
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error; err != nil {
				return err
			}
		}
		return gormigrate.New(tx, gormigrate.DefaultOptions, migrations()).Migrate()
	})
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// migrateLockKey is the advisory lock that serializes migrations on
// PostgreSQL ("portal" in ASCII).
const migrateLockKey = 0x706f7274616c

// Tx runs fn in one transaction: everything fn does through tx is committed
// together or not at all, as if no other transaction ran at the same time.
//
// SQLite gets that by taking the write lock at the start (immediate
// transactions). PostgreSQL runs the transaction SERIALIZABLE and, when it
// reports a conflict with a concurrent one (or a deadlock), rolls back and
// runs fn again, a few times: fn must change nothing outside tx but what
// it may safely redo (its results, overwritten by the last run). Called
// on a Store made by Tx, fn runs in a savepoint of that transaction and is
// never retried on its own.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	run := func() error {
		return s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
			return fn(&Store{db: db, dialect: s.dialect, retries: s.retries})
		}, s.txOptions())
	}
	if s.dialect != "postgres" || s.inTx() {
		return run()
	}
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			return err
		}
		s.retries.Add(1)
		// Exponential with full jitter, so that the transactions that
		// collided spread out rather than collide again.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// TxRetries is how many times a transaction was run again after a
// conflict with a concurrent one, since the store was opened (always 0 on
// SQLite). Many retries mean contention: a figure for benchmarks and
// operators.
func (s *Store) TxRetries() uint64 { return s.retries.Load() }

// maxTxAttempts bounds the runs of one transaction on PostgreSQL.
const maxTxAttempts = 40

func (s *Store) txOptions() *sql.TxOptions {
	if s.dialect == "postgres" && !s.inTx() {
		return &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	return nil
}

// retryable reports a PostgreSQL serialization failure or deadlock: the
// transaction did nothing and may run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// timeResolution is how finely the database keeps times: PostgreSQL
// keeps microseconds (pgx truncates), SQLite the text Go writes.
func (s *Store) timeResolution() time.Duration {
	if s.dialect == "postgres" {
		return time.Microsecond
	}
	return time.Nanosecond
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

func (s *Store) with(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// notFound maps gorm's record-not-found to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// duplicate maps a unique-key violation to ErrDuplicate.
func duplicate(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrDuplicate
	}
	return err
}
