package store

import (
	"context"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"gorm.io/gorm/clause"
)

// EnqueueMail queues m for delivery. Call it inside the transaction of the
// action that causes the mail, so that both happen or neither does.
func (s *Store) EnqueueMail(ctx context.Context, m *OutboxMessage) error {
	m.State = vocab.MailQueued
	m.ToNorm = NormalizeEmail(m.ToAddr)
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	if err := s.with(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("queue mail %s: %w", m.Kind, err)
	}
	return nil
}

// ClaimMail leases up to limit queued messages that are due at now and not
// leased by another worker, for instance owner. Each claimed row gets
// lease_until = now+lease, so a worker that dies mid-send leaves its
// messages to be claimed again once the lease is over, or as soon as its
// instance is known to be gone (SweepGoneInstances): at least once
// delivery. On PostgreSQL the rows are locked with SKIP LOCKED, so
// instances claiming at once each take other messages rather than wait;
// on SQLite the immediate transaction serializes claimers.
func (s *Store) ClaimMail(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error) {
	var claimed []OutboxMessage
	err := s.Tx(ctx, func(tx *Store) error {
		claimed = nil
		q := tx.with(ctx).
			Where("state = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)", vocab.MailQueued, now, now).
			Order("next_attempt_at, id").Limit(limit)
		if s.dialect == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		if err := q.Find(&claimed).Error; err != nil {
			return err
		}
		if len(claimed) == 0 {
			return nil
		}
		ids := make([]uint64, len(claimed))
		for i, m := range claimed {
			ids[i] = m.ID
		}
		until := now.Add(lease)
		return tx.with(ctx).Model(&OutboxMessage{}).Where("id IN ?", ids).
			Updates(map[string]any{"lease_until": until, "lease_owner": owner}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	return claimed, nil
}

// MarkMailSent records a delivery.
func (s *Store) MarkMailSent(ctx context.Context, id uint64, at time.Time) error {
	// The body goes once the mail is out: it holds invitation tokens and
	// codes, which must not outlive their delivery in the database.
	err := s.with(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(map[string]any{
		"state": vocab.MailSent, "sent_at": at, "lease_until": nil, "lease_owner": "", "attempts": clause.Expr{SQL: "attempts + 1"}, "body": "",
	}).Error
	if err != nil {
		return fmt.Errorf("mark mail %d sent: %w", id, err)
	}
	return nil
}

// MarkMailFailed records a failed attempt of instance owner (whose lease
// it was). A zero next means the failure is permanent and the message is
// not tried again. When another instance holds the message by now (owner
// was taken for gone, and its lease handed on), the record is left out:
// the message is that instance's, whose own outcome counts.
func (s *Store) MarkMailFailed(ctx context.Context, owner string, id uint64, attempts int, next time.Time, lastErr string) error {
	cols := map[string]any{"attempts": attempts, "last_error": truncate(lastErr, 1000), "lease_until": nil, "lease_owner": ""}
	if next.IsZero() {
		cols["state"] = vocab.MailFailed
		cols["body"] = "" // never sent again: its secrets go, as for a sent one
	} else {
		cols["next_attempt_at"] = next
	}
	err := s.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND state = ? AND lease_owner IN (?, '')", id, vocab.MailQueued, owner).
		Updates(cols).Error
	if err != nil {
		return fmt.Errorf("mark mail %d failed: %w", id, err)
	}
	return nil
}

// RetryMail makes a queued message due now, rather than at its next
// backoff.
func (s *Store) RetryMail(ctx context.Context, id uint64, now time.Time) error {
	res := s.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND state = ?", id, vocab.MailQueued).
		Update("next_attempt_at", now)
	if res.Error != nil {
		return fmt.Errorf("retry mail %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("retry mail %d: %w", id, ErrNotFound)
	}
	return nil
}

// MailQueuedSince reports whether a mail of kind was queued for the client
// since a time, to keep one address from being flooded with notices.
func (s *Store) MailQueuedSince(ctx context.Context, clientID uint64, kind string, since time.Time) (bool, error) {
	var n int64
	err := s.with(ctx).Model(&OutboxMessage{}).Where("client_id = ? AND kind = ? AND created_at >= ?", clientID, kind, since).
		Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("recent mail: %w", err)
	}
	return n > 0, nil
}

// ListMail returns outbox messages newest first, paged by key.
func (s *Store) ListMail(ctx context.Context, q vocab.OutboxQuery) ([]OutboxMessage, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	db := s.with(ctx).Model(&OutboxMessage{})
	if q.State != "" {
		db = db.Where("state = ?", q.State)
	}
	if q.Before != 0 {
		db = db.Where("id < ?", q.Before)
	}
	var out []OutboxMessage
	if err := db.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
