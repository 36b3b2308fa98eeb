// Package dbtest gives tests their database: a SQLite file in the test's
// temporary directory, or a fresh database on a throwaway PostgreSQL server
// that the test binary starts from the installed binaries (initdb, postgres)
// and removes when it ends.
//
// A package whose suite must hold on both databases calls Main from its
// TestMain: the whole suite runs once on SQLite and once on PostgreSQL.
// PORTAL_TEST_DB=sqlite or =postgres runs one of them only;
// PORTAL_TEST_PG_BIN names the directory of initdb and postgres when they
// are neither on PATH nor in /usr/lib/postgresql/*/bin. Without
// PostgreSQL installed, the PostgreSQL run's tests skip with the reason,
// except in CI (CI=true), where they fail.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The environment that tells a test which database its run is on. Main
// sets them; child processes of a test (a re-executed test binary) inherit
// them.
const (
	// EnvBackend restricts a run to one database ("sqlite" or "postgres"),
	// and within Main's runs names the one in progress.
	EnvBackend = "PORTAL_TEST_DB"
	// envServer holds the throwaway server's URL (its "postgres"
	// database), or envServerMissing's reason when it could not start.
	envServer        = "PORTAL_TEST_PG_SERVER"
	envServerMissing = "PORTAL_TEST_PG_MISSING"
)

// Backend names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Main runs m on each database and exits with the first failure's code.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	backends := []string{SQLite, Postgres}
	switch only := os.Getenv(EnvBackend); only {
	case "":
	case SQLite, Postgres:
		backends = []string{only}
	default:
		fmt.Fprintf(os.Stderr, "dbtest: %s=%q: want %q or %q\n", EnvBackend, only, SQLite, Postgres)
		return 2
	}
	code := 0
	for _, b := range backends {
		c := runOn(m, b)
		if code == 0 {
			code = c
		}
	}
	return code
}

func runOn(m *testing.M, backend string) int {
	os.Setenv(EnvBackend, backend)
	if backend != Postgres {
		return m.Run()
	}
	srv, err := StartServer()
	if err != nil {
		// Every test that asks for a database skips (or fails in CI)
		// with this reason.
		os.Setenv(envServerMissing, err.Error())
		return m.Run()
	}
	defer srv.Stop()
	os.Setenv(envServer, srv.URL)
	fmt.Fprintf(os.Stderr, "dbtest: running the suite on PostgreSQL %s\n", srv.Version)
	return m.Run()
}

// Backend is the database of the run in progress: SQLite unless Main (or
// the environment) says PostgreSQL.
func Backend() string {
	if os.Getenv(EnvBackend) == Postgres {
		return Postgres
	}
	return SQLite
}

// DSN returns a new, empty database for t on the run's database: a SQLite
// file path, or a postgres:// URL. The PostgreSQL database is dropped when
// t ends.
func DSN(t testing.TB) string {
	t.Helper()
	if Backend() == SQLite {
		return filepath.Join(t.TempDir(), "portal.db")
	}
	return postgresDSN(t)
}

// PostgresDSN returns a new, empty PostgreSQL database, for tests of what
// only PostgreSQL serves (several instances on one database). It skips t
// on the SQLite run, and when the server could not start (fails in CI).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	RequirePostgres(t)
	return postgresDSN(t)
}

// RequirePostgres skips t unless it runs in the PostgreSQL run with a
// server up; without one, in CI, it fails t instead.
func RequirePostgres(t testing.TB) {
	t.Helper()
	if Backend() != Postgres {
		t.Skip("PostgreSQL only: runs in the suite's PostgreSQL run")
	}
	requireServer(t)
}

// requireServer returns the server's URL, skipping t when there is none
// (failing it in CI).
func requireServer(t testing.TB) string {
	t.Helper()
	server := os.Getenv(envServer)
	if server == "" {
		reason := os.Getenv(envServerMissing)
		if reason == "" {
			reason = "no PostgreSQL server was started for this run (run the suite through dbtest.Main)"
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL: %s; .ci/run should install it", reason)
		}
		t.Skipf("PostgreSQL: %s: skipping", reason)
	}
	return server
}

func postgresDSN(t testing.TB) string {
	t.Helper()
	server := requireServer(t)
	dsn, drop, err := createDatabase(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return dsn
}

// NewPostgresDatabase makes a database on the run's PostgreSQL server that
// lives as long as the server (this test binary), for benchmarks that
// seed one database for many runs. It fails when no server runs.
func NewPostgresDatabase() (string, error) {
	server := os.Getenv(envServer)
	if server == "" {
		return "", fmt.Errorf("no PostgreSQL server runs: %s", os.Getenv(envServerMissing))
	}
	dsn, _, err := createDatabase(context.Background(), server)
	return dsn, err
}

// createDatabase makes a database with a random name on the server and
// returns its URL and the function that drops it.
func createDatabase(ctx context.Context, server string) (string, func() error, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "portal_test_" + hex.EncodeToString(b[:])
	admin, err := openAdmin(server)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	// FILE_COPY: with fsync off, copying template1's files is far faster
	// than WAL-logging them block by block (the default since 15, which
	// brought the choice; before, copying was the only way).
	var version int
	if err := admin.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return "", nil, fmt.Errorf("test server version: %w", err)
	}
	create := "CREATE DATABASE " + name
	if version >= 150000 {
		create += " STRATEGY FILE_COPY"
	}
	if _, err := admin.ExecContext(ctx, create); err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() error {
		admin, err := openAdmin(server)
		if err != nil {
			return err
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return u.String(), drop, nil
}

func openAdmin(server string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		return nil, fmt.Errorf("test server URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	return db, nil
}
