package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// NewClient is what staff type to add a client.
type NewClient = Profile

// AddClient creates a client as invited and queues the invitation in the
// same transaction. Admins only.
func (s *Service) AddClient(ctx context.Context, a Actor, in NewClient) (*Client, error) {
	if err := s.authorize(ctx, a, ActAddClient); err != nil {
		return nil, err
	}
	p, err := validProfile(in, true)
	if err != nil {
		return nil, err
	}
	lang, err := s.validLang(in.Lang)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var c *store.Client
	err = s.tx(ctx, func(tx *store.Store) error {
		// Made afresh in each run: a retried transaction must not insert
		// the ID a rolled-back run was given.
		c = &store.Client{
			Email: p.Email, Name: p.Name, Company: p.Company, Phone: p.Phone,
			Lang: lang, Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now,
		}
		if existing, err := tx.ClientByEmail(ctx, p.Email); err == nil {
			return refuse(FieldEmail, "error.client.exists", existing.Name, existing.Email, existing.Status)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.CreateClient(ctx, c); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return refuse(FieldEmail, "error.client.exists_race", p.Email)
			}
			return err
		}
		if _, err := s.newInvitation(ctx, tx, c, a.Name); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditClientAdd, c.EmailNorm, "invitation queued")
	})
	if err != nil {
		return nil, fmt.Errorf("add a client: %w", err)
	}
	return clientView(c), nil
}

// ResendInvitation revokes the client's open invitation and queues a new
// one. Any staff member may.
func (s *Service) ResendInvitation(ctx context.Context, a Actor, email string) error {
	if err := s.requireStaff(ctx, a); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		c, err := tx.ClientByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(FieldEmail, "error.client.not_found", email)
		}
		if err != nil {
			return err
		}
		if c.Status != vocab.StatusInvited {
			return refuse(FieldEmail, "error.invitation.not_invited", c.Email, c.Status)
		}
		if _, err := s.newInvitation(ctx, tx, c, a.Name); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditInvitationResend, c.EmailNorm, "")
	})
	if err != nil {
		return fmt.Errorf("resend an invitation: %w", err)
	}
	return nil
}

// ListClients returns a page of clients. Any staff member may.
func (s *Service) ListClients(ctx context.Context, a Actor, q vocab.ClientQuery) ([]Client, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return nil, err
	}
	if err := validStatus(q.Status); err != nil {
		return nil, err
	}
	if len(q.Search) > 4*MaxEmailLen {
		q.Search = q.Search[:4*MaxEmailLen]
	}
	if q.After != "" {
		// The cursor is a client's key: an email as typed finds it too.
		q.After = store.NormalizeEmail(q.After)
	}
	clients, err := s.store.ListClients(ctx, q)
	if err != nil {
		return nil, err
	}
	return clientViews(clients), nil
}

// Client returns the logged-in client's own record.
func (s *Service) Client(ctx context.Context, a Actor) (*Client, error) {
	if a.Kind != vocab.ActorClient {
		return nil, ErrForbidden
	}
	c, err := s.store.ClientByID(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	return clientView(c), nil
}
