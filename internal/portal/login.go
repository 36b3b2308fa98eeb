package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// LogIn checks a client's email and password. A wrong email and a wrong
// password get the same refusal after the same work (an argon2 verify
// either way). A locked or disabled account says so only once the password
// was right, so those states reveal nothing to someone guessing.
func (s *Service) LogIn(ctx context.Context, a Actor, email, password string) (*Client, error) {
	now := s.clock()
	if err := s.limitAddress(ctx, a, store.AttemptLogin); err != nil {
		return nil, err
	}
	email, err := validEmail(email)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, refuse(FieldPassword, "error.password.required")
	}
	// The hashing slot is taken before the attempt is counted: a pool too
	// busy for this session or host answers so, and counts nothing.
	ctx, release, err := s.holdHashing(ctx, a)
	if err != nil {
		return nil, err
	}
	defer release()
	c, err := s.store.ClientByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("log in: %w", err)
	}
	if c == nil || c.PasswordHash == "" {
		_ = s.hasher.VerifyDummy(ctx, password)
		return nil, s.loginFailed(ctx, a, email, "unknown account") // email is in its normalized form
	}
	// The attempt is counted as a failure before the password is checked,
	// in one step with the check that the account is not locked: of a
	// burst of parallel guesses, no more than the limit get checked.
	try, err := s.store.ReserveLoginTry(ctx, c.ID, now, auth.LoginDelay)
	if err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	if !try.Allowed {
		// While locked the password is not even checked, and the answer is
		// the usual one: were the right password told apart here, a
		// guesser would learn it during the lock and use it after. The
		// owner was mailed when the lock began, and can reset the password
		// to end it. Failures while locked do not lengthen the lock, or
		// anyone could keep a client out for good.
		_ = s.hasher.VerifyDummy(ctx, password)
		return nil, s.loginFailed(ctx, a, c.EmailNorm, "account locked")
	}
	ok, rehash, err := s.hasher.Verify(ctx, c.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	if !ok {
		if err := s.countFailure(ctx, a, c, try, vocab.AuditLoginFailure, "wrong password"); err != nil {
			return nil, err
		}
		return nil, refuse("", "error.login.failed")
	}
	if c.Status != vocab.StatusActive {
		// The password was right: it ends the failures its attempt began
		// counting, as a log in would, before saying why there is none.
		if err := s.store.ClearLoginTries(ctx, c.ID, try, now); err != nil {
			return nil, fmt.Errorf("log in: %w", err)
		}
	}
	switch {
	case c.Status == vocab.StatusDisabled:
		_ = s.auditNow(ctx, a, vocab.AuditLoginDisabled, c.EmailNorm, "")
		return nil, refuse("", "error.login.disabled")
	case c.Status == vocab.StatusAwaiting:
		return nil, refuse("", "error.login.awaiting")
	case c.Status == vocab.StatusRejected:
		return nil, refuse("", "error.login.rejected")
	}
	var newHash *string
	if rehash {
		if h, err := s.hasher.Hash(ctx, password); err == nil {
			newHash = &h
		}
	}
	err = s.tx(ctx, func(tx *store.Store) error {
		ok, err := tx.RecordLogin(ctx, c.ID, c.PasswordHash, try, now, newHash)
		if err != nil {
			return err
		}
		if !ok {
			// Disabled, the password changed, or another guess in flight
			// locked the account, while it was being checked: the newer
			// decision wins, and a lock answers like a wrong password.
			current, err := tx.ClientByID(ctx, c.ID)
			if err != nil {
				return err
			}
			if current.Status == vocab.StatusDisabled {
				return refuse("", "error.login.disabled")
			}
			return refuse("", "error.login.failed")
		}
		return s.audit(ctx, tx, a.asClient(c.ID, c.EmailNorm), vocab.AuditLoginSuccess, c.EmailNorm, "")
	})
	if err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	c.LastLoginAt, c.FailedLogins, c.LockedUntil = &now, 0, nil
	if newHash != nil {
		// The session is bound to the credential it holds now: with the
		// old hash, the recorder would take the rehash for a password
		// change and end the session it just began.
		c.PasswordHash = *newHash
	}
	return clientView(c), nil
}

// limitAddress counts one attempt of kind from the actor's host (an IPv6
// /64 counting as one host) and refuses past auth.AddressLimit per
// auth.AddressWindow. The count lives in the database, so every instance
// sees the same one; in front of it, buckets in memory per host and per
// session refuse a flood before it reaches the database, and a refused
// attempt writes nothing (its audit line is written once a window).
func (s *Service) limitAddress(ctx context.Context, a Actor, kind string) error {
	host := a.limitHost()
	now := s.clock()
	limited := refuse("", "error.rate_limited", int(auth.AddressWindow/time.Minute))
	if host != "" {
		if ok, _ := s.hostBuckets.allow(kind+" "+host, now); !ok {
			s.noteRateLimited(ctx, a, kind, host, now)
			return limited
		}
	}
	if a.SessionID != "" {
		if ok, _ := s.sessionBuckets.allow(kind+" "+a.SessionID, now); !ok {
			return refuse("", "error.slow_down")
		}
	}
	if host == "" {
		return nil
	}
	_, taken, err := s.store.TakeAttempt(ctx, kind, host, now, now.Add(-auth.AddressWindow), auth.AddressLimit)
	if err != nil {
		return fmt.Errorf("limit %s attempts: %w", kind, err)
	}
	if !taken {
		s.noteRateLimited(ctx, a, kind, host, now)
		return limited
	}
	return nil
}

// noteRateLimited audits that host went past the limit of kind, once a
// window on this instance, so that a flood writes one line, not a line a
// try.
func (s *Service) noteRateLimited(ctx context.Context, a Actor, kind, host string, now time.Time) {
	if ok, _ := s.rateNotes.allow(kind+" "+host, now); ok {
		_ = s.auditNow(ctx, a, vocab.RateLimited(kind), "", host)
	}
}

// countFailure records a failed check of the password of account c, whose
// attempt try had already counted it: the audit line, and, when try was the
// attempt that took the lock, the lock's audit line and the one mail to the
// owner. Each lock is taken by exactly one reservation, so a burst past the
// limit mails once. action names the audit line of the failure itself.
func (s *Service) countFailure(ctx context.Context, a Actor, c *store.Client, try store.LoginTry, action, detail string) error {
	err := s.tx(ctx, func(tx *store.Store) error {
		if err := s.audit(ctx, tx, a, action, c.EmailNorm, detail); err != nil {
			return err
		}
		if try.LockedUntil == nil {
			return nil
		}
		until := *try.LockedUntil
		// The lock is told to the owner, never to whoever is typing.
		if err := s.queueMail(ctx, tx, MailAccountLocked, c, c.Name, try.N, until.Format(mailTimeLayout), s.ConnectCommand("")); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditLoginLockout, c.EmailNorm, fmt.Sprintf("%d failures in a row, locked for %s", try.N, auth.LoginDelay(try.N)))
	})
	if err != nil {
		return fmt.Errorf("count a failed password of client %d: %w", c.ID, err)
	}
	return nil
}

// lockedBySomeoneElse reports whether account c, read again inside the
// transaction that would act on a right password, is locked by an attempt
// other than try: a guess in flight beside it reached the limit first.
func lockedBySomeoneElse(c *store.Client, try store.LoginTry, now time.Time) bool {
	return c.LockedUntil != nil && now.Before(*c.LockedUntil) && c.FailedLogins != try.N
}

func (s *Service) loginFailed(ctx context.Context, a Actor, subject, detail string) error {
	if err := s.auditNow(ctx, a, vocab.AuditLoginFailure, subject, detail); err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	return refuse("", "error.login.failed")
}

// auditNow writes one audit event outside any other transaction.
func (s *Service) auditNow(ctx context.Context, a Actor, action, subject, detail string) error {
	return s.audit(ctx, s.store, a, action, subject, detail)
}

// holdHashing takes a hashing slot for a's password work, held by the
// returned context until release: the pool bounds each session and each
// host (auth.WithHashOwner), and a pool too busy to take it answers
// "busy, try again" as a refusal, before the caller has counted or spent
// anything.
func (s *Service) holdHashing(ctx context.Context, a Actor) (context.Context, func(), error) {
	held, release, err := s.hasher.Hold(auth.WithHashOwner(ctx, a.SessionID, a.limitHost()))
	if errors.Is(err, auth.ErrBusy) {
		return ctx, nil, refuse("", "common.error.busy")
	}
	if err != nil {
		return ctx, nil, err
	}
	return held, release, nil
}
