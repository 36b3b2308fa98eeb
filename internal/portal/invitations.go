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

// openInvitation finds the open invitation for token and its client, or a
// refusal that tells the person to ask for a new one.
func (s *Service) openInvitation(ctx context.Context, st *store.Store, token string) (*store.Invitation, *store.Client, error) {
	token = strings.ToLower(strings.TrimSpace(token))
	if !auth.ValidTokenSyntax(token) {
		return nil, nil, refuse(FieldToken, "error.invitation.invalid")
	}
	inv, err := st.InvitationByTokenHash(ctx, auth.HashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, refuse(FieldToken, "error.invitation.invalid")
	}
	if err != nil {
		return nil, nil, err
	}
	switch inv.State(s.clock()) {
	case vocab.InvitationAccepted:
		return nil, nil, refuse(FieldToken, "error.invitation.used")
	case vocab.InvitationRevoked:
		return nil, nil, refuse(FieldToken, "error.invitation.revoked")
	case vocab.InvitationExpired:
		return nil, nil, refuse(FieldToken, "error.invitation.expired")
	}
	c, err := st.ClientByID(ctx, inv.ClientID)
	if err != nil {
		return nil, nil, err
	}
	if c.Status == vocab.StatusDisabled {
		return nil, nil, refuse(FieldToken, "error.invitation.invalid")
	}
	return inv, c, nil
}

// CheckInvitation tells whether token is an open invitation, and whose, so
// the set-password form can greet the client before asking.
func (s *Service) CheckInvitation(ctx context.Context, token string) (*Client, error) {
	_, c, err := s.openInvitation(ctx, s.store, token)
	if err != nil {
		return nil, err
	}
	return clientView(c), nil
}

// AcceptInvitation sets the invited client's password; the client is then
// active, and logged in as the returned client.
func (s *Service) AcceptInvitation(ctx context.Context, a Actor, token, password, repeat string) (*Client, error) {
	// Validate and hash before the transaction: argon2 takes tens of
	// milliseconds, and SQLite holds its write lock for the whole
	// transaction.
	_, c, err := s.openInvitation(ctx, s.store, token)
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	if err := validNewPassword(password, repeat, c.Email, c.Name); err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	ctx, release, err := s.holdHashing(ctx, a)
	if err != nil {
		return nil, err
	}
	defer release()
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	err = s.tx(ctx, func(tx *store.Store) error {
		inv, current, err := s.openInvitation(ctx, tx, token)
		if err != nil {
			return err
		}
		now := s.clock()
		if err := tx.AcceptInvitation(ctx, inv.ID, now); errors.Is(err, store.ErrConflict) {
			return refuse(FieldToken, "error.invitation.used")
		} else if err != nil {
			return err
		}
		active, zero := vocab.StatusActive, 0
		var noLock *time.Time
		if err := tx.UpdateClient(ctx, current.ID, store.ClientUpdate{
			Status: &active, PasswordHash: &hash, FailedLogins: &zero, LockedUntil: &noLock, LastLoginAt: &now,
		}); err != nil {
			return err
		}
		current.Status, current.PasswordHash, current.LastLoginAt = active, hash, &now
		c = current
		return s.audit(ctx, tx, a.asClient(c.ID, c.EmailNorm), vocab.AuditInvitationAccept, c.EmailNorm, "")
	})
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	return clientView(c), nil
}
