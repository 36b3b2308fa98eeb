package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// RequestReset mails a reset code when an account exists for email. It
// answers the same whether or not one does, and at the same time.
func (s *Service) RequestReset(ctx context.Context, a Actor, email string) error {
	start := time.Now()
	email, err := validEmail(email)
	if err != nil {
		return err
	}
	if err := s.limitAddress(ctx, a, store.AttemptMailer); err != nil {
		return err
	}
	defer answerNoSooner(ctx, start, mailAnswerTime)
	c, err := s.store.ClientByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !canReset(c)) {
		return s.auditNow(ctx, a, vocab.AuditResetRequest, store.NormalizeEmail(email), "no usable account")
	}
	if err != nil {
		return fmt.Errorf("request a reset: %w", err)
	}
	if s.codeSentRecently(ctx, c, store.CodeReset) {
		return s.auditNow(ctx, a, vocab.AuditResetRequest, c.EmailNorm, "code sent less than a minute ago")
	}
	err = s.tx(ctx, func(tx *store.Store) error {
		if err := s.newCode(ctx, tx, c, store.CodeReset, MailResetCode); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditResetRequest, c.EmailNorm, "code mailed")
	})
	if err != nil {
		return fmt.Errorf("request a reset: %w", err)
	}
	return nil
}

// ResetPassword sets a new password with the mailed code. It mails the
// client a notice, ends every live session of the client, and returns the
// client logged in. The password is checked before the code, so that a
// refused password does not use up a try, but only against the typed email:
// checking it against the account's name would tell that the account
// exists. The name is checked once the code has proved the address.
func (s *Service) ResetPassword(ctx context.Context, a Actor, email, code, password, repeat string) (*Client, error) {
	email, err := validEmail(email)
	if err != nil {
		return nil, err
	}
	if err := validNewPassword(password, repeat, email, ""); err != nil {
		return nil, err
	}
	c, err := s.checkCode(ctx, a, email, code, store.CodeReset, canReset)
	if err != nil {
		return nil, err
	}
	ctx, release, err := s.holdHashing(ctx, a)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := validNewPassword(password, repeat, c.Email, c.Name); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("reset password: %w", err)
	}
	now := s.clock()
	err = s.tx(ctx, func(tx *store.Store) error {
		if err := tx.UseCode(ctx, c.codeID, now); errors.Is(err, store.ErrConflict) {
			return refuse(FieldCode, "error.code.wrong")
		} else if err != nil {
			return err
		}
		// Again in the transaction: staff may have disabled the client
		// while the password was being hashed, and the reset must not
		// undo that.
		if current, err := tx.ClientByID(ctx, c.ID); err != nil {
			return err
		} else if !canReset(current) {
			return refuse(FieldCode, "error.code.wrong")
		}
		// The code proves the address: an invited or pending client
		// becomes active, and an open invitation is no longer needed.
		active, zero := vocab.StatusActive, 0
		var noLock *time.Time
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{
			Status: &active, PasswordHash: &hash, FailedLogins: &zero, LockedUntil: &noLock, LastLoginAt: &now,
		}); err != nil {
			return err
		}
		if err := tx.RevokeOpenInvitations(ctx, c.ID, now); err != nil {
			return err
		}
		if err := s.tellSessionEnd(ctx, tx, c.ID, a.SessionID, credentialOf(hash)); err != nil {
			return err
		}
		if err := s.queueMail(ctx, tx, MailPasswordReset, c.Client, c.Name, now.Format(mailTimeLayout), a.sourceHost()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.asClient(c.Client.ID, c.Client.EmailNorm), vocab.AuditResetDone, c.EmailNorm, "")
	})
	if err != nil {
		return nil, fmt.Errorf("reset password: %w", err)
	}
	ended := s.sessions.End(c.ID, a.SessionID, credentialOf(hash))
	s.log.Info("password reset", "client_id", c.ID, "sessions_ended", ended)
	c.Status, c.PasswordHash, c.LastLoginAt, c.FailedLogins, c.LockedUntil = vocab.StatusActive, hash, &now, 0, nil
	return clientView(c.Client), nil
}

// mailAnswerTime is the least time RequestReset and ResendCode take once
// the email is looked up. Mailing a code is more work than finding no
// account (a read, a transaction of three rows, a mail to render): a few
// milliseconds, up to tens under load, that the time of the answer would
// otherwise tell to anyone timing it (TestAuthAttackEnumerationTiming in
// cmd/portal). Well above that work, the floor makes both answers come at
// the same time.
const mailAnswerTime = 100 * time.Millisecond

// answerNoSooner waits until d has passed since start, or ctx ends.
func answerNoSooner(ctx context.Context, start time.Time, d time.Duration) {
	wait := time.NewTimer(d - time.Since(start))
	defer wait.Stop()
	select {
	case <-wait.C:
	case <-ctx.Done():
	}
}

// canReset tells whether a client may reset a password: active clients,
// and invited ones (the code proves the address, as the invitation would).
// Not a sign-up awaiting approval or rejected: a reset would make it
// active past the staff's decision; not a disabled client either. (A
// sign-up whose code was not entered is no client at all.)
func canReset(c *store.Client) bool {
	return c.Status == vocab.StatusActive || c.Status == vocab.StatusInvited
}
