package store

import (
	"context"
	"fmt"
	"time"
)

// AddAudit records one event.
func (s *Store) AddAudit(ctx context.Context, e *AuditEvent) error {
	if err := s.with(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("write audit event %s: %w", e.Action, err)
	}
	return nil
}

// AuditQuery selects a page of the audit log, newest first.
type AuditQuery struct {
	Since     time.Time
	ActorKind string
	Actor     string
	Action    string
	Subject   string
	// Before is the ID of the last event of the previous page (0: first page).
	Before uint64
	Limit  int
}

// ListAudit returns events newest first, paged by key.
func (s *Store) ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
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

// CountAttempt records one attempt of kind from addr at now and returns how
// many there were since since, this one included. Recording first and
// counting after, in one transaction, keeps concurrent attempts from all
// slipping under the limit together.
func (s *Store) CountAttempt(ctx context.Context, kind, addr string, now, since time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Create(&Attempt{Kind: kind, Addr: addr, At: now}).Error; err != nil {
			return err
		}
		return tx.with(ctx).Model(&Attempt{}).Where("kind = ? AND addr = ? AND at >= ?", kind, addr, since).Count(&n).Error
	})
	if err != nil {
		return 0, fmt.Errorf("count %s attempt: %w", kind, err)
	}
	return n, nil
}

// PruneAttempts forgets attempts older than before.
func (s *Store) PruneAttempts(ctx context.Context, before time.Time) error {
	if err := s.with(ctx).Where("at < ?", before).Delete(&Attempt{}).Error; err != nil {
		return fmt.Errorf("prune attempts: %w", err)
	}
	return nil
}
