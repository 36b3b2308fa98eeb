package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/store"
)

// Quotas on what one client can make. Without them one session filed 40
// requests (40 team mails) in 8 s and 400 notes in 95 s. Each is far above
// what a client of a law firm does, so none is met in normal use, and low
// enough that one account cannot bury the team's queue or fill the
// database.
const (
	// MaxOpenRequests: a client rarely has more than a handful of matters
	// open at once; 20 leaves room for a busy company's contact.
	MaxOpenRequests = 20
	// MaxRequestsPerHour: a client files a few requests a week; 10 in an
	// hour is an afternoon of filing a backlog.
	MaxRequestsPerHour = 10
	// MaxNotesPerRequestPerHour: a conversation on one request, a note
	// every two minutes for an hour.
	MaxNotesPerRequestPerHour = 30
	// MaxStoredBytes: request fields and the client's notes, as stored.
	// A full request is at most a few tens of kB (MaxLongValueLen
	// characters a long field) and a note 5,000 characters, so 5 MiB is
	// hundreds of them; documents, when they come, have their own limit.
	MaxStoredBytes = 5 << 20
	// quotaWindow is the "an hour" of the hourly quotas, a sliding window.
	quotaWindow = time.Hour
)

// Quotas are the limits a Service holds clients to: the constants above,
// unless WithQuotas gives others (tests that build large fixtures).
type Quotas struct {
	OpenRequests, RequestsPerHour, NotesPerRequestPerHour int64
	StoredBytes                                           int64
}

// DefaultQuotas are the constants above.
func DefaultQuotas() Quotas {
	return Quotas{
		OpenRequests: MaxOpenRequests, RequestsPerHour: MaxRequestsPerHour,
		NotesPerRequestPerHour: MaxNotesPerRequestPerHour, StoredBytes: MaxStoredBytes,
	}
}

// WithQuotas replaces DefaultQuotas.
func WithQuotas(q Quotas) Option { return func(s *Service) { s.quotas = q } }

// Refusal keys of the quotas.
const (
	KeyQuotaOpenRequests = "error.quota.open_requests"
	KeyQuotaRequestsHour = "error.quota.requests_hour"
	KeyQuotaNotesHour    = "error.quota.notes_hour"
	KeyQuotaStorage      = "error.quota.storage"
)

// checkRequestQuota refuses a new request of size bytes from client c when
// it would pass a quota, counting through st: the store for the first
// look, which costs no write, and then the action's transaction, with the
// client's row locked, so that parallel submissions cannot all pass on
// one count.
func (s *Service) checkRequestQuota(ctx context.Context, st *store.Store, c *store.Client, size int64, now time.Time) error {
	u, err := st.ClientUsage(ctx, c.ID, now.Add(-quotaWindow))
	if err != nil {
		return err
	}
	q := s.quotas
	switch {
	case u.OpenRequests >= q.OpenRequests:
		return s.quotaRefused(ctx, c, "open requests", refuse("", KeyQuotaOpenRequests, q.OpenRequests))
	case u.RecentRequests >= q.RequestsPerHour:
		return s.quotaRefused(ctx, c, "requests an hour",
			refuse("", KeyQuotaRequestsHour, q.RequestsPerHour, minutesUntil(now, u.OldestRecent.Add(quotaWindow))))
	case u.StoredBytes+size > q.StoredBytes:
		return s.quotaRefused(ctx, c, "bytes stored", refuse("", KeyQuotaStorage, q.StoredBytes>>20))
	}
	return nil
}

// checkNoteQuota refuses a note of size bytes from client c on request id
// when it would pass a quota, as checkRequestQuota does. A request not the
// client's counts nothing here: it is refused as unknown by requestFor.
func (s *Service) checkNoteQuota(ctx context.Context, st *store.Store, c *store.Client, id uint64, size int64, now time.Time) error {
	n, first, err := st.ClientNotesSince(ctx, id, c.ID, now.Add(-quotaWindow))
	if err != nil {
		return err
	}
	if n >= s.quotas.NotesPerRequestPerHour {
		return s.quotaRefused(ctx, c, "notes an hour",
			refuse(FieldNote, KeyQuotaNotesHour, s.quotas.NotesPerRequestPerHour, minutesUntil(now, first.Add(quotaWindow)), id))
	}
	u, err := st.ClientUsage(ctx, c.ID, now)
	if err != nil {
		return err
	}
	if u.StoredBytes+size > s.quotas.StoredBytes {
		return s.quotaRefused(ctx, c, "bytes stored", refuse(FieldNote, KeyQuotaStorage, s.quotas.StoredBytes>>20))
	}
	return nil
}

// quotaRefused logs a refusal and returns it. Nothing is written: a
// refused attempt must cost the database nothing, or the quota would be
// one more way to load it.
func (s *Service) quotaRefused(ctx context.Context, c *store.Client, quota string, err *Error) error {
	s.log.InfoContext(ctx, "quota reached", "client_id", c.ID, "quota", quota)
	return err
}

// minutesUntil is how many minutes from now until at, rounded up, and at
// least one: what a refusal says about when to try again.
func minutesUntil(now, at time.Time) int {
	m := int((at.Sub(now) + time.Minute - 1) / time.Minute)
	return max(m, 1)
}

// withinQuota runs check through the store first, then, when it passed,
// fn in a transaction, which is to recheck (see recheckQuota). A nil
// check (an action with no quota) runs fn alone.
func (s *Service) withinQuota(ctx context.Context, check func(st *store.Store) error, fn func(tx *store.Store) error) error {
	if check != nil {
		if err := check(s.store); err != nil {
			return err
		}
	}
	return s.tx(ctx, fn)
}

// recheckQuota takes the client's row for the rest of tx and runs check
// again, before anything is written: parallel attempts that all passed the
// first look are counted one after the other here. Call it once the
// transaction has read what it needs outside itself: a transaction waiting
// for the row holds a pooled connection, so the one holding the row must
// not need another.
func (s *Service) recheckQuota(ctx context.Context, tx *store.Store, clientID uint64, check func(st *store.Store) error) error {
	if err := tx.LockClient(ctx, clientID); err != nil {
		return fmt.Errorf("quota: %w", err)
	}
	return check(tx)
}
