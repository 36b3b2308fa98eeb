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
	Since   time.Time
	Actor   string
	Action  string
	Subject string
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

// RecordLoginAttempt counts one log in attempt from addr.
func (s *Store) RecordLoginAttempt(ctx context.Context, addr string, at time.Time) error {
	if err := s.with(ctx).Create(&LoginAttempt{Addr: addr, At: at}).Error; err != nil {
		return fmt.Errorf("record login attempt: %w", err)
	}
	return nil
}

// CountLoginAttempts counts attempts from addr since a time.
func (s *Store) CountLoginAttempts(ctx context.Context, addr string, since time.Time) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&LoginAttempt{}).Where("addr = ? AND at >= ?", addr, since).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count login attempts: %w", err)
	}
	return n, nil
}

// PruneLoginAttempts forgets attempts older than before.
func (s *Store) PruneLoginAttempts(ctx context.Context, before time.Time) error {
	if err := s.with(ctx).Where("at < ?", before).Delete(&LoginAttempt{}).Error; err != nil {
		return fmt.Errorf("prune login attempts: %w", err)
	}
	return nil
}
