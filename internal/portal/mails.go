package portal

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// Mail kinds, as recorded in the outbox.
const (
	MailInvitation     = "invitation"
	MailVerifyCode     = "verify_code"
	MailResetCode      = "reset_code"
	MailSignUpExists   = "signup_exists"
	MailPasswordReset  = "password_reset"
	MailPasswordSet    = "password_changed"
	MailAccountLocked  = "account_locked"
	MailSignUpReceived = "signup_received" // verified, waiting for approval
	MailSignUpApproved = "signup_approved"
	MailSignUpRejected = "signup_rejected"
	MailClientDisabled = "client_disabled"
)

// mailTimeLayout is how mails write a time: in numbers, which read the
// same in every language of the catalog.
const mailTimeLayout = "2006-01-02 15:04 UTC"

// recipient is who a mail goes to: an address, the language to write in
// ("" for English), and the client it is about, when there is one.
type recipient struct {
	addr     string
	lang     string
	clientID *uint64
}

// MaxSecurityMailsPerDay caps the security mails (see isSecurityMail) one
// address gets in a day. Anyone can have them sent to any address (a
// sign-up, a forgot password, wrong passwords), so without a cap the
// portal is a way to flood a mailbox, and its sender's reputation with it.
// Ten is more than a person locked out and retrying uses in a day.
const MaxSecurityMailsPerDay = 10

// securityMailWindow is the "day" of MaxSecurityMailsPerDay, a sliding one.
const securityMailWindow = 24 * time.Hour

// securityMailKinds are the mails a stranger can have sent to an address:
// codes, lock notices, reset notices and sign-up-exists notices.
func securityMailKinds() []string {
	return []string{MailVerifyCode, MailResetCode, MailAccountLocked, MailPasswordReset, MailSignUpExists}
}

func isSecurityMail(kind string) bool { return slices.Contains(securityMailKinds(), kind) }

// queueMail composes a mail in the client's language and queues it through
// st, the action's transaction (see queueMailTo).
func (s *Service) queueMail(ctx context.Context, st *store.Store, kind string, c *store.Client, args ...any) error {
	_, err := s.queueMailTo(ctx, st, recipient{addr: mailTo(c), lang: c.Lang, clientID: &c.ID}, kind, args...)
	return err
}

// queueMailTo composes a mail in to's language and queues it through st,
// and reports whether it did. A security mail is left out when the
// recipient's normalized address got MaxSecurityMailsPerDay of them in the
// last day. The count is read in st, the action's transaction, so parallel
// actions cannot all pass on one count (SQLite runs one write transaction
// at a time, PostgreSQL's serializable ones are retried when they
// overlap). A mail left out changes nothing the caller answers: the screen
// must not tell whether a mail went.
func (s *Service) queueMailTo(ctx context.Context, st *store.Store, to recipient, kind string, args ...any) (bool, error) {
	if isSecurityMail(kind) {
		n, err := st.CountSecurityMail(ctx, to.addr, securityMailKinds(), s.clock().Add(-securityMailWindow))
		if err != nil {
			return false, fmt.Errorf("queue %s mail: %w", kind, err)
		}
		if n >= MaxSecurityMailsPerDay {
			s.log.InfoContext(ctx, "security mail left out: the address had its day's", "kind", kind, "max", MaxSecurityMailsPerDay)
			return false, nil
		}
	}
	p := s.catalog.Printer(text.Lang(to.lang))
	m := &store.OutboxMessage{
		Kind:      kind,
		ClientID:  to.clientID,
		ToAddr:    to.addr,
		Subject:   p.T("mail."+kind+".subject", args...),
		Body:      p.T("mail."+kind+".body", args...) + "\n\n" + p.T("mail.signature", s.PortalURL()),
		CreatedAt: s.clock(),
	}
	if err := st.EnqueueMail(ctx, m); err != nil {
		return false, fmt.Errorf("queue %s mail: %w", kind, err)
	}
	return true, nil
}

// mailTo is the address a client's mail goes to: the stored email in the
// normalized form it is compared in, so that a row stored before that
// form (say with a Kelvin sign, whose key is a plain k) is mailed at the
// address that its key names, not at a lookalike.
func mailTo(c *store.Client) string {
	return store.NormalizeEmail(c.Email)
}

// newInvitation stores a fresh invitation for c (revoking any open one) and
// queues its mail. It returns the token, which exists nowhere else.
func (s *Service) newInvitation(ctx context.Context, st *store.Store, c *store.Client, by string) (string, error) {
	token, err := auth.NewToken()
	if err != nil {
		return "", fmt.Errorf("make invitation token: %w", err)
	}
	now := s.clock()
	inv := &store.Invitation{
		ClientID:  c.ID,
		TokenHash: auth.HashSecret(token),
		CreatedBy: by,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.InviteTTL),
	}
	if err := st.CreateInvitation(ctx, inv); err != nil {
		return "", err
	}
	// Arguments: name, portal URL, ready command, token, expiry.
	err = s.queueMail(ctx, st, MailInvitation, c,
		c.Name, s.PortalURL(), s.ConnectCommand("invite-"+token), token, inv.ExpiresAt.Format(mailTimeLayout))
	return token, err
}

// newCode stores a fresh one-time code for c (revoking the previous one of
// that purpose) and queues its mail.
func (s *Service) newCode(ctx context.Context, st *store.Store, c *store.Client, purpose, kind string) error {
	code, err := auth.NewCode()
	if err != nil {
		return fmt.Errorf("make code: %w", err)
	}
	now := s.clock()
	rec := &store.Code{
		ClientID:  c.ID,
		Purpose:   purpose,
		CodeHash:  auth.HashSecret(code),
		CreatedAt: now,
		ExpiresAt: now.Add(auth.CodeTTL),
	}
	if err := st.CreateCode(ctx, rec); err != nil {
		return err
	}
	return s.queueMail(ctx, st, kind, c, c.Name, auth.FormatCode(code), int(auth.CodeTTL/time.Minute))
}
