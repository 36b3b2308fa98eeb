package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// writeGate is the connection pool gorm uses on SQLite: the database/sql
// pool, with the writes of this process taking turns in Go.
//
// SQLite lets one connection write at a time. A connection that finds the
// write lock taken sleeps in its busy handler (1, 2, 5, … up to 100 ms)
// and tries again, so under contention the lock sits idle while writers
// sleep, and each sleeping writer holds a pooled connection readers could
// use: fifty log ins at once took three times as long as their hashing.
// Here a transaction (every write through gorm is one: explicit, or gorm's
// own around Create, Update and Delete) and a statement run outside one
// first wait for the turn, and get it the moment the last writer commits.
// Reads (Query) never wait. Another process writing the same file (a CLI
// command beside the server) still meets the busy handler.
type writeGate struct {
	db   *sql.DB
	turn chan struct{}
	wait time.Duration // bound on waiting, as busy_timeout bounds the handler
}

var (
	_ gorm.ConnPool         = (*writeGate)(nil)
	_ gorm.ConnPoolBeginner = (*writeGate)(nil)
	_ gorm.GetDBConnector   = (*writeGate)(nil)
	_ gorm.Tx               = (*gatedTx)(nil)
)

func newWriteGate(db *sql.DB, wait time.Duration) *writeGate {
	return &writeGate{db: db, turn: make(chan struct{}, 1), wait: wait}
}

// errWriteTurn is what a writer gets after waiting as long as SQLite's
// busy timeout would have let it: the message SQLite gives, so callers
// that recognise a locked database keep doing so.
var errWriteTurn = errors.New("database is locked (SQLITE_BUSY): waited too long for another write to finish")

func (g *writeGate) acquire(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.turn <- struct{}{}:
		return func() { <-g.turn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errWriteTurn
	}
}

func (g *writeGate) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	tx, err := g.db.BeginTx(ctx, opts)
	if err != nil {
		release()
		return nil, err
	}
	return &gatedTx{Tx: tx, release: release}, nil
}

func (g *writeGate) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return g.db.ExecContext(ctx, query, args...)
}

func (g *writeGate) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return g.db.PrepareContext(ctx, query)
}

func (g *writeGate) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return g.db.QueryContext(ctx, query, args...)
}

func (g *writeGate) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return g.db.QueryRowContext(ctx, query, args...)
}

func (g *writeGate) GetDBConn() (*sql.DB, error) { return g.db, nil }

// gatedTx is a transaction holding the write turn until it ends.
type gatedTx struct {
	*sql.Tx
	release func()
	ended   bool
}

func (t *gatedTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

func (t *gatedTx) end() {
	if !t.ended {
		t.ended = true
		t.release()
	}
}
