package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/store"
)

// SignUpInput is the sign-up form.
type SignUpInput struct {
	Profile
	Password string
	Repeat   string
}

// SignUp creates a pending account and mails a verification code. With an
// email that already has an account it mails that address a notice instead
// and answers exactly the same, so the form reveals no account and
// overwrites none. Refused whenever sign-up is off, whatever the path.
func (s *Service) SignUp(ctx context.Context, a Actor, in SignUpInput) error {
	on, err := s.SignUpEnabled(ctx)
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	if !on {
		return refuse("", "error.signup.off")
	}
	p, err := validProfile(in.Profile, true)
	if err != nil {
		return err
	}
	if err := validNewPassword(in.Password, in.Repeat, p.Email, p.Name); err != nil {
		return err
	}
	// Hashed on both paths so that both take the same time.
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return fmt.Errorf("sign up %q: %w", p.Email, err)
	}
	now := s.clock()
	err = s.tx(ctx, func(tx *store.Store) error {
		existing, err := tx.ClientByEmail(ctx, p.Email)
		if err == nil {
			if err := s.queueMail(ctx, tx, MailSignUpExists, existing, existing.Name, s.ConnectCommand("")); err != nil {
				return err
			}
			return s.audit(ctx, tx, a, "signup.existing", existing.EmailNorm, "notice mailed")
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c := &store.Client{
			Email: p.Email, Name: p.Name, Company: p.Company, Phone: p.Phone, Lang: "en",
			Status: store.StatusPending, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateClient(ctx, c); err != nil {
			return err
		}
		if err := s.newCode(ctx, tx, c, store.CodeVerify, MailVerifyCode); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "signup", c.EmailNorm, "verification code mailed")
	})
	if errors.Is(err, store.ErrDuplicate) {
		// Someone signed up with this email at this very moment: answer as
		// for any existing account.
		return nil
	}
	if err != nil {
		return fmt.Errorf("sign up %q: %w", p.Email, err)
	}
	return nil
}

// VerifyEmail checks the code mailed at sign-up; the account is then
// active and the returned client logged in.
func (s *Service) VerifyEmail(ctx context.Context, a Actor, email, code string) (*store.Client, error) {
	c, err := s.checkCode(ctx, a, email, code, store.CodeVerify, func(c *store.Client) bool {
		return c.Status == store.StatusPending
	})
	if err != nil {
		return nil, err
	}
	now := s.clock()
	err = s.tx(ctx, func(tx *store.Store) error {
		if err := tx.UseCode(ctx, c.codeID, now); errors.Is(err, store.ErrConflict) {
			return refuse(FieldCode, "error.code.expired")
		} else if err != nil {
			return err
		}
		active := store.StatusActive
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{Status: &active, LastLoginAt: &now}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.AsClient(c.Client), "email.verify", c.EmailNorm, "")
	})
	if err != nil {
		return nil, fmt.Errorf("verify email: %w", err)
	}
	c.Status, c.LastLoginAt = store.StatusActive, &now
	return c.Client, nil
}

// ResendCode mails a new sign-up verification code when the account is
// still pending; like the sign-up form, it answers the same either way.
func (s *Service) ResendCode(ctx context.Context, a Actor, email string) error {
	c, err := s.store.ClientByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resend code: %w", err)
	}
	if c.Status != store.StatusPending || s.codeSentRecently(ctx, c, store.CodeVerify) {
		return nil
	}
	return s.tx(ctx, func(tx *store.Store) error {
		if err := s.newCode(ctx, tx, c, store.CodeVerify, MailVerifyCode); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "signup.code_resent", c.EmailNorm, "")
	})
}

// codedClient is a client whose live code matched, and that code's id.
type codedClient struct {
	*store.Client
	codeID uint64
}

// checkCode matches a typed code against the client's live code of that
// purpose. A wrong guess is counted (and committed) before the refusal;
// after auth.CodeMaxTries the code no longer works. Every refusal that
// could tell whether the account exists reads the same.
func (s *Service) checkCode(ctx context.Context, a Actor, email, typed, purpose string, eligible func(*store.Client) bool) (*codedClient, error) {
	code, ok := auth.NormalizeCode(typed)
	if !ok {
		if typed == "" {
			return nil, refuse(FieldCode, "error.code.required")
		}
		return nil, refuse(FieldCode, "error.code.invalid")
	}
	c, err := s.store.ClientByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !eligible(c)) {
		return nil, refuse(FieldCode, "error.code.wrong")
	}
	if err != nil {
		return nil, fmt.Errorf("check code: %w", err)
	}
	now := s.clock()
	live, err := s.store.LiveCode(ctx, c.ID, purpose, now, auth.CodeMaxTries)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(FieldCode, "error.code.expired")
	}
	if err != nil {
		return nil, fmt.Errorf("check code: %w", err)
	}
	if !auth.EqualHash(live.CodeHash, auth.HashSecret(code)) {
		if err := s.store.CountCodeTry(ctx, live.ID); err != nil {
			return nil, fmt.Errorf("check code: %w", err)
		}
		_ = s.auditNow(ctx, a, "code.wrong", c.EmailNorm, purpose)
		left := auth.CodeMaxTries - live.Tries - 1
		if left <= 0 {
			return nil, refuse(FieldCode, "error.code.expired")
		}
		return nil, refuse(FieldCode, "error.code.wrong_left", left)
	}
	return &codedClient{Client: c, codeID: live.ID}, nil
}

// codeSentRecently keeps one address from being flooded with codes: one
// per purpose per minute.
func (s *Service) codeSentRecently(ctx context.Context, c *store.Client, purpose string) bool {
	live, err := s.store.LiveCode(ctx, c.ID, purpose, s.clock(), auth.CodeMaxTries)
	return err == nil && s.clock().Sub(live.CreatedAt) < time.Minute
}
