package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// ChangePassword sets a logged-in client's new password after checking the
// current one. It mails a notice and ends the client's other sessions.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, password, repeat string) error {
	c, err := s.activeClient(ctx, a)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if current == "" {
		return refuse(FieldCurrent, "error.password.required")
	}
	// The new password is checked first: refused after a right current
	// one, it would leave that attempt counted as a failed guess.
	if err := validNewPassword(password, repeat, c.Email, c.Name); err != nil {
		return err
	}
	// A wrong current password is a guess like a wrong password at log in
	// (someone at a terminal left open): the same address limit, the same
	// count and lock on the account.
	wrong := refuse(FieldCurrent, "error.password.current_wrong")
	if err := s.limitAddress(ctx, a, store.AttemptLogin); err != nil {
		return err
	}
	ctx, release, err := s.holdHashing(ctx, a)
	if err != nil {
		return err
	}
	defer release()
	try, err := s.store.ReserveLoginTry(ctx, c.ID, s.clock(), auth.LoginDelay)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !try.Allowed {
		_ = s.hasher.VerifyDummy(ctx, current)
		_ = s.auditNow(ctx, a, vocab.AuditPasswordChangeRefused, c.EmailNorm, "account locked")
		return wrong
	}
	ok, _, err := s.hasher.Verify(ctx, c.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !ok {
		if err := s.countFailure(ctx, a, c, try, vocab.AuditPasswordChangeRefused, "wrong current password"); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		return wrong
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	now := s.clock()
	err = s.tx(ctx, func(tx *store.Store) error {
		// Checked against the hash read before the (slow) verify: a reset
		// or another change in between must not be overwritten by a
		// password that no longer is the current one.
		current, err := tx.ClientByID(ctx, c.ID)
		if err != nil {
			return err
		}
		if current.PasswordHash != c.PasswordHash || current.Status != vocab.StatusActive || lockedBySomeoneElse(current, try, now) {
			return wrong
		}
		zero, unlocked := 0, (*time.Time)(nil)
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{PasswordHash: &hash, FailedLogins: &zero, LockedUntil: &unlocked}); err != nil {
			return err
		}
		if err := s.tellSessionEnd(ctx, tx, c.ID, a.SessionID, credentialOf(hash)); err != nil {
			return err
		}
		if err := s.queueMail(ctx, tx, MailPasswordSet, c, c.Name, now.Format(mailTimeLayout), a.sourceHost()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditPasswordChange, c.EmailNorm, "")
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.sessions.End(c.ID, a.SessionID, credentialOf(hash))
	return nil
}

// UpdateProfile changes a logged-in client's name, company and phone (the
// email is the account's key and changes only through staff). Only an
// active client may: a session that outlived a disable changes nothing.
func (s *Service) UpdateProfile(ctx context.Context, a Actor, in Profile) (*Client, error) {
	c, err := s.activeClient(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("update profile: %w", err)
	}
	p, err := validProfile(in, false)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{Name: &p.Name, Company: &p.Company, Phone: &p.Phone}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditProfileUpdate, c.EmailNorm, "")
	})
	if err != nil {
		return nil, fmt.Errorf("update profile: %w", err)
	}
	c.Name, c.Company, c.Phone = p.Name, p.Company, p.Phone
	return clientView(c), nil
}

// LogOut records the end of a client's session and forgets it.
func (s *Service) LogOut(ctx context.Context, a Actor) {
	if a.Kind != vocab.ActorClient {
		return
	}
	s.sessions.Unbind(a.ClientID, a.SessionID)
	_ = s.auditNow(ctx, a, vocab.AuditLogout, a.Name, "")
}

// FieldLang is the form field and flag of a client's language.
const FieldLang = "lang"

// validLang checks a language a client or staff chose: one of the
// catalog's, or "" for none chosen yet.
func (s *Service) validLang(lang string) (string, error) {
	if lang == "" {
		return "", nil
	}
	if l := s.catalog.ParseLang(lang); l != "" && string(l) == strings.ToLower(lang) {
		return string(l), nil
	}
	return "", refuse(FieldLang, "error.lang.invalid", s.langNames())
}

// langNames lists the catalog's languages for a refusal.
func (s *Service) langNames() string {
	names := make([]string, 0, 2)
	for _, l := range s.catalog.Langs() {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
}

// SetLanguage remembers the language a logged-in client chose for their
// screens and mails.
func (s *Service) SetLanguage(ctx context.Context, a Actor, lang string) (*Client, error) {
	c, err := s.activeClient(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("set language: %w", err)
	}
	if lang, err = s.validLang(lang); err != nil || lang == "" {
		if err == nil {
			err = refuse(FieldLang, "error.lang.invalid", s.langNames())
		}
		return nil, err
	}
	if c.Lang == lang {
		return clientView(c), nil
	}
	err = s.tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{Lang: &lang}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditClientLanguage, c.EmailNorm, c.Lang+" → "+lang)
	})
	if err != nil {
		return nil, fmt.Errorf("set language of client %d: %w", c.ID, err)
	}
	c.Lang = lang
	return clientView(c), nil
}
