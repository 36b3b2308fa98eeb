package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// ClientSummary is one line of the staff's client list: the client and
// what became of their newest invitation ("" when never invited).
type ClientSummary struct {
	Client
	// Invitation is one of the vocab.Invitation* words, or "".
	Invitation string
}

// ClientsPage lists a page of clients with their invitation state. Any
// staff member.
func (s *Service) ClientsPage(ctx context.Context, a Actor, q vocab.ClientQuery) ([]ClientSummary, error) {
	clients, err := s.ListClients(ctx, a, q)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, len(clients))
	for i, c := range clients {
		ids[i] = c.ID
	}
	latest, err := s.store.LatestInvitations(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	out := make([]ClientSummary, len(clients))
	for i, c := range clients {
		out[i] = ClientSummary{Client: c}
		if inv, ok := latest[c.ID]; ok {
			out[i].Invitation = inv.State(now)
		}
	}
	return out, nil
}

// ClientDetail is everything staff see about one client.
type ClientDetail struct {
	Client       Client
	Invitations  []InvitationView
	Events       []AuditEvent
	LiveSessions int
}

// ClientDetails returns a client's profile, invitation history and recent
// audit events. Any staff member; support staff see only the events of
// their own actions, as in the audit log.
func (s *Service) ClientDetails(ctx context.Context, a Actor, email string) (*ClientDetail, error) {
	role, err := s.currentRole(ctx, a)
	if err != nil {
		return nil, err
	}
	c, err := s.clientByEmail(ctx, s.store, email)
	if err != nil {
		return nil, err
	}
	invs, err := s.store.InvitationsOf(ctx, c.ID, 20)
	if err != nil {
		return nil, err
	}
	events, err := s.store.ListAudit(ctx, auditScope(role, a, vocab.AuditQuery{Subject: c.EmailNorm, Limit: 20}))
	if err != nil {
		return nil, err
	}
	live, err := s.liveSessions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	d := &ClientDetail{Client: *clientView(c), Events: auditViews(events), LiveSessions: live}
	now := s.clock()
	for _, inv := range invs {
		d.Invitations = append(d.Invitations, invitationView(inv, now))
	}
	return d, nil
}

// clientByEmail finds a client or refuses naming the email.
func (s *Service) clientByEmail(ctx context.Context, st *store.Store, email string) (*store.Client, error) {
	c, err := st.ClientByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(FieldEmail, "error.client.not_found", email)
	}
	return c, err
}

// DisableClient refuses the client at log in from now on and ends their
// live sessions at once. Admins only.
func (s *Service) DisableClient(ctx context.Context, a Actor, email string) error {
	if err := s.authorize(ctx, a, ActDisableClient); err != nil {
		return err
	}
	var id uint64
	err := s.tx(ctx, func(tx *store.Store) error {
		c, err := s.clientByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		switch c.Status {
		case vocab.StatusActive, vocab.StatusInvited:
		case vocab.StatusDisabled:
			return refuse(FieldEmail, "error.client.already", c.Email, c.Status)
		default:
			// A sign-up not yet verified or decided: rejecting it is the
			// way to refuse it, and enabling could not tell what it was.
			return refuse(FieldEmail, "error.client.cannot_disable", c.Email, c.Status)
		}
		id = c.ID
		disabled := vocab.StatusDisabled
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{Status: &disabled}); err != nil {
			return err
		}
		if err := s.tellSessionEnd(ctx, tx, c.ID, "", ""); err != nil {
			return err
		}
		if err := tx.RevokeOpenInvitations(ctx, c.ID, s.clock()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditClientDisable, c.EmailNorm, "was "+c.Status)
	})
	if err != nil {
		return fmt.Errorf("disable a client: %w", err)
	}
	s.sessions.End(id, "", "")
	return nil
}

// EnableClient lets a disabled client back in: active when they have a
// password, else invited again with a new invitation. Admins only.
func (s *Service) EnableClient(ctx context.Context, a Actor, email string) error {
	if err := s.authorize(ctx, a, ActEnableClient); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		c, err := s.clientByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if c.Status != vocab.StatusDisabled {
			return refuse(FieldEmail, "error.client.not_disabled", c.Email, c.Status)
		}
		status := vocab.StatusActive
		if c.PasswordHash == "" {
			status = vocab.StatusInvited
		}
		zero := 0
		var noLock *time.Time
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{Status: &status, FailedLogins: &zero, LockedUntil: &noLock}); err != nil {
			return err
		}
		if status == vocab.StatusInvited {
			c.Status = status
			if _, err := s.newInvitation(ctx, tx, c, a.Name); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, vocab.AuditClientEnable, c.EmailNorm, status)
	})
	if err != nil {
		return fmt.Errorf("enable a client: %w", err)
	}
	return nil
}

// EndSessions ends every live session of the client, and returns how many
// there were: those on this instance at once, those on others within a
// second. Any staff member.
func (s *Service) EndSessions(ctx context.Context, a Actor, email string) (int, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return 0, err
	}
	c, err := s.clientByEmail(ctx, s.store, email)
	if err != nil {
		return 0, err
	}
	live, err := s.liveSessions(ctx, c.ID)
	if err != nil {
		return 0, fmt.Errorf("end sessions of client %d: %w", c.ID, err)
	}
	if err := s.tx(ctx, func(tx *store.Store) error {
		// A log in that read the client before this commits binds its
		// session after the ends below were acted on: the new number
		// tells it that it is too late (see sessionRecorder).
		if err := tx.RaiseSessionsGen(ctx, c.ID); err != nil {
			return err
		}
		if err := s.tellSessionEnd(ctx, tx, c.ID, "", ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditClientEndSessions, c.EmailNorm, fmt.Sprintf("sessions ended: %d", live))
	}); err != nil {
		return 0, fmt.Errorf("end sessions of client %d: %w", c.ID, err)
	}
	s.sessions.End(c.ID, "", "")
	return live, nil
}

// ApproveSignUp lets a sign-up waiting for approval in, and mails the
// client. Any staff member: approving is the staff's daily work on the
// queue, like resending an invitation.
func (s *Service) ApproveSignUp(ctx context.Context, a Actor, email string) error {
	return s.decideSignUp(ctx, a, email, vocab.StatusActive, MailSignUpApproved, vocab.AuditSignUpApprove)
}

// RejectSignUp turns a waiting sign-up down, and mails the client.
func (s *Service) RejectSignUp(ctx context.Context, a Actor, email string) error {
	return s.decideSignUp(ctx, a, email, vocab.StatusRejected, MailSignUpRejected, vocab.AuditSignUpReject)
}

func (s *Service) decideSignUp(ctx context.Context, a Actor, email, status, kind, action string) error {
	if err := s.requireStaff(ctx, a); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		c, err := s.clientByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if c.Status != vocab.StatusAwaiting {
			return refuse(FieldEmail, "error.signup.not_awaiting", c.Email, c.Status)
		}
		if err := tx.UpdateClient(ctx, c.ID, store.ClientUpdate{Status: &status}); err != nil {
			return err
		}
		if err := s.queueMail(ctx, tx, kind, c, c.Name, s.ConnectCommand("")); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, action, c.EmailNorm, "")
	})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return nil
}

// RetryMail makes a queued mail due now rather than at its next backoff.
// Any staff member.
func (s *Service) RetryMail(ctx context.Context, a Actor, id uint64) error {
	if err := s.requireStaff(ctx, a); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		if err := tx.RetryMail(ctx, id, s.clock()); errors.Is(err, store.ErrNotFound) {
			return refuse("id", "error.outbox.not_queued", id)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditMailRetry, fmt.Sprint(id), "")
	})
	if err != nil {
		return fmt.Errorf("retry mail %d: %w", id, err)
	}
	return nil
}

// ListAudit returns a page of the audit log, newest first. Admins see
// every event; support staff only the events of their own actions.
func (s *Service) ListAudit(ctx context.Context, a Actor, q vocab.AuditQuery) ([]AuditEvent, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return nil, err
	}
	role, err := s.currentRole(ctx, a)
	if err != nil {
		return nil, err
	}
	events, err := s.store.ListAudit(ctx, auditScope(role, a, q))
	if err != nil {
		return nil, err
	}
	return auditViews(events), nil
}

// auditScope narrows an audit query to what an actor of that role may
// read: support staff, their own actions only.
func auditScope(role string, a Actor, q vocab.AuditQuery) vocab.AuditQuery {
	if !allowed(role, ActReadFullAudit) {
		q.Actor, q.ActorKind = a.Name, vocab.ActorStaff
	}
	if strings.Contains(q.Subject, "@") {
		q.Subject = store.NormalizeEmail(q.Subject) // clients are recorded by their normalized email
	}
	return q
}
