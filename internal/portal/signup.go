package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	if _, err := s.signUpOpen(ctx); err != nil {
		return err
	}
	p, err := validProfile(in.Profile, true)
	if err != nil {
		return err
	}
	lang, err := s.validLang(in.Lang)
	if err != nil {
		return err
	}
	if err := validNewPassword(in.Password, in.Repeat, p.Email, p.Name); err != nil {
		return err
	}
	if err := s.limitAddress(ctx, a, store.AttemptMailer); err != nil {
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
			// One notice an hour at most: sign-up must not be a way to
			// flood someone's mailbox.
			recent, err := tx.MailQueuedSince(ctx, existing.ID, MailSignUpExists, now.Add(-time.Hour))
			if err != nil || recent {
				return err
			}
			if err := s.queueMail(ctx, tx, MailSignUpExists, existing, existing.Name, s.ConnectCommand("")); err != nil {
				return err
			}
			return s.audit(ctx, tx, a, "signup.existing", existing.EmailNorm, "notice mailed")
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c := &store.Client{
			Email: p.Email, Name: p.Name, Company: p.Company, Phone: p.Phone, Lang: lang,
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

// KeyAwaitingApproval answers a verified sign-up while sign-up needs
// approval: the account now waits for staff, and the client is told by mail
// when they decide.
const KeyAwaitingApproval = "notice.signup.awaiting"

// VerifyEmail checks the code mailed at sign-up; the account is then
// active and the returned client logged in, or, while sign-up needs
// approval, waiting for staff (a KeyAwaitingApproval refusal).
func (s *Service) VerifyEmail(ctx context.Context, a Actor, email, code string) (*store.Client, error) {
	mode, err := s.signUpOpen(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.checkCode(ctx, a, email, code, store.CodeVerify, func(c *store.Client) bool {
		return c.Status == store.StatusPending
	})
	if err != nil {
		return nil, err
	}
	now := s.clock()
	status, login := store.StatusActive, &now
	if mode == store.SignUpApproval {
		status, login = store.StatusAwaiting, nil
	}
	err = s.tx(ctx, func(tx *store.Store) error {
		if err := tx.UseCode(ctx, c.codeID, now); errors.Is(err, store.ErrConflict) {
			return refuse(FieldCode, "error.code.wrong")
		} else if err != nil {
			return err
		}
		u := store.ClientUpdate{Status: &status}
		if login != nil {
			u.LastLoginAt = login
		}
		if err := tx.UpdateClient(ctx, c.ID, u); err != nil {
			return err
		}
		if status == store.StatusAwaiting {
			if err := s.queueMail(ctx, tx, MailSignUpReceived, c.Client, c.Name); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a.AsClient(c.Client), "email.verify", c.EmailNorm, status)
	})
	if err != nil {
		return nil, fmt.Errorf("verify email: %w", err)
	}
	if status == store.StatusAwaiting {
		return nil, refuse("", KeyAwaitingApproval)
	}
	c.Status, c.LastLoginAt = status, login
	return c.Client, nil
}

// ResendCode mails a new sign-up verification code when the account is
// still pending; like the sign-up form, it answers the same either way,
// and at the same time.
func (s *Service) ResendCode(ctx context.Context, a Actor, email string) error {
	start := time.Now()
	if _, err := s.signUpOpen(ctx); err != nil {
		return err
	}
	if err := s.limitAddress(ctx, a, store.AttemptMailer); err != nil {
		return err
	}
	defer answerNoSooner(ctx, start, mailAnswerTime)
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
// purpose. Each guess spends one of the code's tries before it is compared,
// so concurrent guesses get no more than auth.CodeMaxTries between them.
// Every refusal reads the same, whether the email has an account, the code
// is wrong, used up or expired, and both paths do the same database work:
// the code step tells nothing about who has an account.
func (s *Service) checkCode(ctx context.Context, a Actor, email, typed, purpose string, eligible func(*store.Client) bool) (*codedClient, error) {
	code, ok := auth.NormalizeCode(typed)
	if !ok {
		if strings.TrimSpace(typed) == "" {
			return nil, refuse(FieldCode, "error.code.required")
		}
		return nil, refuse(FieldCode, "error.code.invalid")
	}
	if err := s.limitAddress(ctx, a, store.AttemptCode); err != nil {
		return nil, err
	}
	c, err := s.store.ClientByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("check code: %w", err)
	}
	var clientID uint64 // 0 matches no code: the unknown path does the same work
	if c != nil && eligible(c) {
		clientID = c.ID
	}
	wrong := refuse(FieldCode, "error.code.wrong")
	live, err := s.store.LiveCode(ctx, clientID, purpose, s.clock(), auth.CodeMaxTries)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("check code: %w", err)
	}
	var liveID uint64
	if live != nil {
		liveID = live.ID
	}
	spent, err := s.store.SpendCodeTry(ctx, liveID, auth.CodeMaxTries)
	if err != nil {
		return nil, fmt.Errorf("check code: %w", err)
	}
	if !spent || !auth.EqualHash(live.CodeHash, auth.HashSecret(code)) {
		_ = s.auditNow(ctx, a, "code.wrong", store.NormalizeEmail(email), purpose)
		return nil, wrong
	}
	return &codedClient{Client: c, codeID: live.ID}, nil
}

// codeSentRecently keeps one address from being flooded with codes: one
// per purpose per minute, counting codes already used up.
func (s *Service) codeSentRecently(ctx context.Context, c *store.Client, purpose string) bool {
	at, err := s.store.LatestCodeAt(ctx, c.ID, purpose)
	return err != nil || s.clock().Sub(at) < time.Minute
}

// signUpOpen returns the sign-up mode, refusing while sign-up is off: every
// step of it, not only the form, so that turning it off stops sign-ups
// under way too.
func (s *Service) signUpOpen(ctx context.Context) (string, error) {
	mode, err := s.SignUpMode(ctx)
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	if mode == store.SignUpOff {
		return "", refuse("", "error.signup.off")
	}
	return mode, nil
}
