package store

import (
	"context"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
)

// AddAudit records one event.
func (s *Store) AddAudit(ctx context.Context, e *AuditEvent) error {
	if err := s.with(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("write audit event %s: %w", e.Action, err)
	}
	return nil
}

// ListAudit returns events newest first, paged by key.
func (s *Store) ListAudit(ctx context.Context, q vocab.AuditQuery) ([]AuditEvent, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	db := s.with(ctx).Model(&AuditEvent{})
	if !q.Since.IsZero() {
		db = db.Where("at >= ?", q.Since)
	}
	if q.ActorKind != "" {
		db = db.Where("actor_kind = ?", q.ActorKind)
	}
	if q.Actor != "" {
		db = db.Where("actor = ?", q.Actor)
	}
	if q.Action != "" {
		db = db.Where("action = ?", q.Action)
	}
	if q.Subject != "" {
		db = db.Where("subject = ?", q.Subject)
	}
	if q.Before != 0 {
		db = db.Where("id < ?", q.Before)
	}
	var out []AuditEvent
	if err := db.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return out, nil
}

// TakeAttempt records one attempt of kind from addr at now if fewer than
// limit were made since since, and reports whether it did, with the count
// of attempts in the window then (this one included when taken). A refused
// attempt writes nothing: it is seen by a read, outside any transaction, so
// a flood past the limit costs no write and holds no write lock. An attempt
// under the limit counts again inside the transaction that records it
// (SQLite's one writer, PostgreSQL's serializable retry), so parallel
// attempts never take more than limit between them.
func (s *Store) TakeAttempt(ctx context.Context, kind, addr string, now, since time.Time, limit int64) (int64, bool, error) {
	count := func(st *Store) (int64, error) {
		var n int64
		err := st.with(ctx).Model(&Attempt{}).Where("kind = ? AND addr = ? AND at >= ?", kind, addr, since).Count(&n).Error
		return n, err
	}
	n, err := count(s)
	if err != nil {
		return 0, false, fmt.Errorf("count %s attempts: %w", kind, err)
	}
	if n >= limit {
		return n, false, nil
	}
	taken := false
	err = s.Tx(ctx, func(tx *Store) error {
		var err error
		if n, err = count(tx); err != nil || n >= limit {
			taken = false
			return err
		}
		taken, n = true, n+1
		return tx.with(ctx).Create(&Attempt{Kind: kind, Addr: addr, At: now}).Error
	})
	if err != nil {
		return 0, false, fmt.Errorf("take %s attempt: %w", kind, err)
	}
	return n, taken, nil
}

// PruneAttempts forgets attempts older than before.
func (s *Store) PruneAttempts(ctx context.Context, before time.Time) error {
	if err := s.with(ctx).Where("at < ?", before).Delete(&Attempt{}).Error; err != nil {
		return fmt.Errorf("prune attempts: %w", err)
	}
	return nil
}
