package portal

import (
	"context"
	"strconv"
	"time"

	"github.com/clientportal/portal/internal/mail"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// ListOutbox returns a page of the outbox, newest first. Any staff member.
func (s *Service) ListOutbox(ctx context.Context, a Actor, q vocab.OutboxQuery) ([]Mail, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return nil, err
	}
	if q.State != "" && q.State != vocab.MailQueued && q.State != vocab.MailSent && q.State != vocab.MailFailed {
		return nil, refuse("state", "error.outbox.state_invalid")
	}
	mails, err := s.store.ListMail(ctx, q)
	if err != nil {
		return nil, err
	}
	// Bodies hold invitation tokens and codes: whoever reads the outbox
	// could use them, so the view has none.
	return mailViews(mails), nil
}

// MailQueue is the outbox as the mail worker sees it.
func (s *Service) MailQueue() mail.Queue {
	return outboxQueue{st: s.store, from: s.cfg.MailFrom, owner: s.instance}
}

type outboxQueue struct {
	st    *store.Store
	from  string
	owner string // this instance, which holds the leases it takes
}

func (q outboxQueue) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]mail.Queued, error) {
	rows, err := q.st.ClaimMail(ctx, q.owner, now, lease, limit)
	if err != nil {
		return nil, err
	}
	out := make([]mail.Queued, len(rows))
	for i, m := range rows {
		out[i] = mail.Queued{ID: m.ID, Attempts: m.Attempts, Message: mail.Message{
			ID: strconv.FormatUint(m.ID, 10), From: q.from, To: m.ToAddr,
			Subject: m.Subject, Body: m.Body, Date: m.CreatedAt,
		}}
	}
	return out, nil
}

func (q outboxQueue) MarkSent(ctx context.Context, id uint64, at time.Time) error {
	return q.st.MarkMailSent(ctx, id, at)
}

func (q outboxQueue) MarkFailed(ctx context.Context, id uint64, attempts int, next time.Time, lastErr string) error {
	return q.st.MarkMailFailed(ctx, q.owner, id, attempts, next, lastErr)
}

// Maintain forgets what is no longer needed: per-address counters older
// than a day, sign-ups that ended or expired (with the password hashes
// they held), and session ends every instance has read. RunInstance runs
// it every few minutes.
func (s *Service) Maintain(ctx context.Context) error {
	if err := s.store.PruneAttempts(ctx, s.clock().Add(-24*time.Hour)); err != nil {
		return err
	}
	if err := s.store.PruneSignUps(ctx, s.clock()); err != nil {
		return err
	}
	return s.store.PruneSessionEnds(ctx, s.clock().Add(-sessionEndsKept))
}
