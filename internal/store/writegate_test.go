package store

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestWritersTakeTurns runs many writing transactions and single writes at
// once, each reading a value and writing it back one higher: every one
// must succeed and none be lost. On SQLite they take turns in the gate
// rather than in SQLite's busy handler; on PostgreSQL the transactions
// are serializable and retried.
func TestWritersTakeTurns(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.SetSetting(ctx, "counter", "0", time.Now()); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- s.Tx(ctx, func(tx *Store) error {
				v, err := tx.Setting(ctx, "counter", "0")
				if err != nil {
					return err
				}
				k, err := strconv.Atoi(v)
				if err != nil {
					return err
				}
				return tx.SetSetting(ctx, "counter", itoa(k+1), time.Now())
			})
		}()
		go func() {
			defer wg.Done()
			errs <- s.AddAudit(ctx, &AuditEvent{ActorKind: "system", Actor: "test", Action: "turns", At: time.Now()})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent write failed: %v", err)
		}
	}
	if v, err := s.Setting(ctx, "counter", ""); err != nil || v != itoa(n) {
		t.Fatalf("counter = %q, %v; want %d: an update was lost", v, err, n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestWriteGateBoundsTheWaitAndLetsReadsThrough holds the write turn with
// an open transaction: reads still answer at once, and a second writer
// gives up after the gate's bound with SQLite's "database is locked".
func TestWriteGateBoundsTheWaitAndLetsReadsThrough(t *testing.T) {
	s := openTest(t)
	sqliteOnly(t, s)
	ctx := context.Background()
	sqlDB, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	// A read that waited for the turn would take the whole bound: one
	// second keeps the two apart on a loaded machine.
	const bound = time.Second
	g := newWriteGate(sqlDB, bound)
	held, err := g.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.(gorm.TxCommitter).Rollback()

	var n int
	start := time.Now()
	if err := g.QueryRowContext(ctx, "SELECT count(*) FROM clients").Scan(&n); err != nil {
		t.Fatalf("read while a write is open: %v", err)
	}
	if d := time.Since(start); d > bound/2 {
		t.Fatalf("a read waited %s for the write turn", d)
	}

	start = time.Now()
	_, err = g.ExecContext(ctx, "DELETE FROM settings WHERE key = 'nothing'")
	if !errors.Is(err, errWriteTurn) {
		t.Fatalf("second writer: %v, want the write turn refused", err)
	}
	if d := time.Since(start); d < bound {
		t.Fatalf("gave up after %s, before the bound", d)
	}
	if _, err := g.BeginTx(ctx, nil); !errors.Is(err, errWriteTurn) {
		t.Fatalf("second transaction: %v, want the write turn refused", err)
	}

	// A cancelled caller stops waiting at once.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.BeginTx(cctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled writer: %v", err)
	}

	// Once the first ends, the turn is free again.
	if err := held.(gorm.TxCommitter).Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.ExecContext(ctx, "DELETE FROM settings WHERE key = 'nothing'"); err != nil {
		t.Fatalf("write after the turn was given back: %v", err)
	}
}
