package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// SignUpInput is the sign-up form.
type SignUpInput struct {
	Profile
	Password string
	Repeat   string
}

// CodeInterval is the least time between two codes mailed for one sign-up
// or one reset: asking sooner mails nothing.
const CodeInterval = time.Minute

// SignUpTTL is how long a sign-up waits for its code to be entered; then
// it is gone, and the person signs up again.
const SignUpTTL = 24 * time.Hour

// SignUpTicket names one sign-up attempt to the session that made it: the
// code it mails is checked, and a new one sent, only for that attempt.
// It is a random token, stored only as its SHA-256, and never shown.
type SignUpTicket string

// SignUp records a sign-up attempt and mails its verification code. The
// typed profile and password wait with that code and become an account
// only when it is entered (VerifyEmail), so no sign-up decides the
// password of an account someone else verifies, and an unverified one
// holds no email. With an email that already has an account it mails
// that address a notice instead and answers exactly the same (a ticket
// that matches nothing), so the form reveals no account and overwrites
// none. Refused whenever sign-up is off, whatever the path.
func (s *Service) SignUp(ctx context.Context, a Actor, in SignUpInput) (SignUpTicket, error) {
	if _, err := s.signUpOpen(ctx); err != nil {
		return "", err
	}
	p, err := validProfile(in.Profile, true)
	if err != nil {
		return "", err
	}
	lang, err := s.validLang(in.Lang)
	if err != nil {
		return "", err
	}
	if err := validNewPassword(in.Password, in.Repeat, p.Email, p.Name); err != nil {
		return "", err
	}
	if err := s.limitAddress(ctx, a, store.AttemptMailer); err != nil {
		return "", err
	}
	ticket, err := auth.NewToken()
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	code, err := auth.NewCode()
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	// Hashed on both paths so that both take the same time.
	ctx, release, err := s.holdHashing(ctx, a)
	if err != nil {
		return "", err
	}
	defer release()
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
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
			return s.audit(ctx, tx, a, vocab.AuditSignUpExisting, existing.EmailNorm, "notice mailed")
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		u := &store.SignUp{
			TicketHash: auth.HashSecret(string(ticket)),
			Email:      p.Email, Name: p.Name, Company: p.Company, Phone: p.Phone, Lang: lang,
			PasswordHash: hash, CodeHash: auth.HashSecret(code),
			CodeSentAt: now, CodeExpiresAt: now.Add(auth.CodeTTL),
			CreatedAt: now, ExpiresAt: now.Add(SignUpTTL),
		}
		if err := tx.CreateSignUp(ctx, u); err != nil {
			return err
		}
		if err := s.queueSignUpCode(ctx, tx, u, code); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditSignUp, u.EmailNorm, "verification code mailed")
	})
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	return SignUpTicket(ticket), nil
}

// queueSignUpCode mails the code of sign-up u to its address. The address
// is not verified yet, so the mail holds nothing the person typed (a name
// could carry someone else's words to a stranger's inbox): only the code.
func (s *Service) queueSignUpCode(ctx context.Context, st *store.Store, u *store.SignUp, code string) error {
	_, err := s.queueMailTo(ctx, st, recipient{addr: u.Email, lang: u.Lang}, MailVerifyCode,
		auth.FormatCode(code), int(auth.CodeTTL/time.Minute))
	return err
}

// KeyAwaitingApproval answers a verified sign-up while sign-up needs
// approval: the account now waits for staff, and the client is told by mail
// when they decide.
const KeyAwaitingApproval = "notice.signup.awaiting"

// VerifyEmail checks the code mailed for the sign-up attempt ticket. The
// account is then made from what that attempt holds, and is active with
// the returned client logged in or, while sign-up needs approval, waiting
// for staff (a KeyAwaitingApproval refusal). A wrong, used up or expired
// code, and a ticket that matches nothing, all read the same.
func (s *Service) VerifyEmail(ctx context.Context, a Actor, ticket SignUpTicket, typed string) (*Client, error) {
	mode, err := s.signUpOpen(ctx)
	if err != nil {
		return nil, err
	}
	code, err := validCode(typed)
	if err != nil {
		return nil, err
	}
	if err := s.limitAddress(ctx, a, store.AttemptCode); err != nil {
		return nil, err
	}
	now := s.clock()
	wrong := refuse(FieldCode, "error.code.wrong")
	u, err := s.store.SignUpByTicket(ctx, auth.HashSecret(string(ticket)), now)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("verify email: %w", err)
	}
	var id uint64 // 0 matches no sign-up: the unknown path does the same work
	if u != nil {
		id = u.ID
	}
	spent, err := s.store.SpendSignUpTry(ctx, id, now, auth.CodeMaxTries)
	if err != nil {
		return nil, fmt.Errorf("verify email: %w", err)
	}
	if !spent || !auth.EqualHash(u.CodeHash, auth.HashSecret(code)) {
		subject := ""
		if u != nil {
			subject = u.EmailNorm
		}
		_ = s.auditNow(ctx, a, vocab.AuditCodeWrong, subject, store.CodeVerify)
		return nil, wrong
	}
	status, login := vocab.StatusActive, &now
	if mode == vocab.SignUpApproval {
		status, login = vocab.StatusAwaiting, nil
	}
	var c *store.Client
	err = s.tx(ctx, func(tx *store.Store) error {
		c = &store.Client{ // afresh in each run of a retried transaction
			Email: u.Email, Name: u.Name, Company: u.Company, Phone: u.Phone, Lang: u.Lang,
			Status: status, PasswordHash: u.PasswordHash, LastLoginAt: login, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.FinishSignUp(ctx, u.ID, u.EmailNorm, now); errors.Is(err, store.ErrConflict) {
			return wrong
		} else if err != nil {
			return err
		}
		if err := tx.CreateClient(ctx, c); errors.Is(err, store.ErrDuplicate) {
			// An account for the address was made meanwhile (staff added
			// it, or another sign-up was verified first). The code proved
			// this person holds the address, so telling them is safe;
			// nothing of theirs replaces what the account has.
			return refuse("", "error.signup.account_exists")
		} else if err != nil {
			return err
		}
		if status == vocab.StatusAwaiting {
			if err := s.queueMail(ctx, tx, MailSignUpReceived, c, c.Name); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a.asClient(c.ID, c.EmailNorm), vocab.AuditEmailVerify, c.EmailNorm, status)
	})
	if err != nil {
		return nil, fmt.Errorf("verify email: %w", err)
	}
	if status == vocab.StatusAwaiting {
		return nil, refuse("", KeyAwaitingApproval)
	}
	return clientView(c), nil
}

// ResendCode mails a new code for the sign-up attempt ticket, at most one
// a minute (the check is part of the change, so a burst makes one); like
// the sign-up form, it answers the same whatever the ticket, and at the
// same time.
func (s *Service) ResendCode(ctx context.Context, a Actor, ticket SignUpTicket) error {
	start := time.Now()
	if _, err := s.signUpOpen(ctx); err != nil {
		return err
	}
	if err := s.limitAddress(ctx, a, store.AttemptMailer); err != nil {
		return err
	}
	defer answerNoSooner(ctx, start, mailAnswerTime)
	now := s.clock()
	u, err := s.store.SignUpByTicket(ctx, auth.HashSecret(string(ticket)), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resend code: %w", err)
	}
	if now.Sub(u.CodeSentAt) < CodeInterval {
		// Seen without a write; the UPDATE below checks it again.
		return nil
	}
	code, err := auth.NewCode()
	if err != nil {
		return fmt.Errorf("resend code: %w", err)
	}
	return s.tx(ctx, func(tx *store.Store) error {
		ok, err := tx.ReplaceSignUpCode(ctx, u.ID, auth.HashSecret(code), now, now.Add(-CodeInterval), now.Add(auth.CodeTTL))
		if err != nil || !ok {
			return err
		}
		if err := s.queueSignUpCode(ctx, tx, u, code); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditSignUpCodeResent, u.EmailNorm, "")
	})
}

// PendingSignUp is a sign-up waiting for its code, as staff see it: no
// password hash, no code.
type PendingSignUp struct {
	ID                   uint64
	Email, Name          string
	Company, Phone, Lang string
	CreatedAt, ExpiresAt time.Time
}

// PendingSignUps lists the sign-ups waiting for their code, newest first,
// a page after the one ending at before (0 for the first). Staff only.
func (s *Service) PendingSignUps(ctx context.Context, a Actor, before uint64, limit int) ([]PendingSignUp, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return nil, err
	}
	rows, err := s.store.ListSignUps(ctx, store.SignUpQuery{Before: before, Limit: limit}, s.clock())
	if err != nil {
		return nil, fmt.Errorf("pending sign-ups: %w", err)
	}
	out := make([]PendingSignUp, len(rows))
	for i, u := range rows {
		out[i] = PendingSignUp{ID: u.ID, Email: u.Email, Name: u.Name, Company: u.Company, Phone: u.Phone, Lang: u.Lang, CreatedAt: u.CreatedAt, ExpiresAt: u.ExpiresAt}
	}
	return out, nil
}

// RemoveSignUp ends a sign-up still waiting for its code: its code stops
// working and what it held is forgotten. Staff only, audited.
func (s *Service) RemoveSignUp(ctx context.Context, a Actor, id uint64) error {
	if err := s.requireStaff(ctx, a); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		u, err := tx.RemoveSignUp(ctx, id, s.clock())
		if errors.Is(err, store.ErrNotFound) {
			return refuse("", "error.signup.not_found", id)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditSignUpRemove, u.EmailNorm, fmt.Sprintf("sign-up %d", id))
	})
	if err != nil {
		return fmt.Errorf("remove sign-up %d: %w", id, err)
	}
	return nil
}

// validCode reads a typed code, refusing one that can't be a code before
// anything is counted or looked up.
func validCode(typed string) (string, error) {
	code, ok := auth.NormalizeCode(typed)
	if !ok {
		if strings.TrimSpace(typed) == "" {
			return "", refuse(FieldCode, "error.code.required")
		}
		return "", refuse(FieldCode, "error.code.invalid")
	}
	return code, nil
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
	code, err := validCode(typed)
	if err != nil {
		return nil, err
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
		_ = s.auditNow(ctx, a, vocab.AuditCodeWrong, store.NormalizeEmail(email), purpose)
		return nil, wrong
	}
	return &codedClient{Client: c, codeID: live.ID}, nil
}

// codeSentRecently keeps one address from being flooded with codes: one
// per purpose per minute, counting codes already used up.
func (s *Service) codeSentRecently(ctx context.Context, c *store.Client, purpose string) bool {
	at, err := s.store.LatestCodeAt(ctx, c.ID, purpose)
	return err != nil || s.clock().Sub(at) < CodeInterval
}

// signUpOpen returns the sign-up mode, refusing while sign-up is off: every
// step of it, not only the form, so that turning it off stops sign-ups
// under way too.
func (s *Service) signUpOpen(ctx context.Context) (string, error) {
	mode, err := s.SignUpMode(ctx)
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	if mode == vocab.SignUpOff {
		return "", refuse("", "error.signup.off")
	}
	return mode, nil
}
