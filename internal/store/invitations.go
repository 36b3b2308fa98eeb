package store

import (
	"context"
	"fmt"
	"time"
)

// CreateInvitation inserts inv after revoking the client's open
// invitations: at most one is ever open.
func (s *Store) CreateInvitation(ctx context.Context, inv *Invitation) error {
	if err := s.RevokeOpenInvitations(ctx, inv.ClientID, inv.CreatedAt); err != nil {
		return err
	}
	if err := s.with(ctx).Create(inv).Error; err != nil {
		return fmt.Errorf("create invitation: %w", duplicate(err))
	}
	return nil
}

// RevokeOpenInvitations revokes every invitation of the client that is not
// accepted or revoked yet.
func (s *Store) RevokeOpenInvitations(ctx context.Context, clientID uint64, now time.Time) error {
	err := s.with(ctx).Model(&Invitation{}).
		Where("client_id = ? AND accepted_at IS NULL AND revoked_at IS NULL", clientID).
		Update("revoked_at", now).Error
	if err != nil {
		return fmt.Errorf("revoke invitations of client %d: %w", clientID, err)
	}
	return nil
}

// InvitationByTokenHash finds an invitation by the SHA-256 of its token,
// whatever its state.
func (s *Store) InvitationByTokenHash(ctx context.Context, hash string) (*Invitation, error) {
	var inv Invitation
	if err := s.with(ctx).Where("token_hash = ?", hash).Take(&inv).Error; err != nil {
		return nil, notFound(err)
	}
	return &inv, nil
}

// AcceptInvitation marks the invitation accepted if it is still open at now.
// It is one conditional UPDATE, so of two acceptances racing only one wins;
// the other gets ErrConflict.
func (s *Store) AcceptInvitation(ctx context.Context, id uint64, now time.Time) error {
	if err := s.spendOnce(ctx, &Invitation{}, id, "accepted_at", now); err != nil {
		return fmt.Errorf("accept invitation: %w", err)
	}
	return nil
}

// InvitationsOf lists a client's invitations, newest first.
func (s *Store) InvitationsOf(ctx context.Context, clientID uint64, limit int) ([]Invitation, error) {
	var out []Invitation
	err := s.with(ctx).Where("client_id = ?", clientID).Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list invitations of client %d: %w", clientID, err)
	}
	return out, nil
}

// LatestInvitations returns the newest invitation of each of the clients,
// by client id; clients never invited are absent.
func (s *Store) LatestInvitations(ctx context.Context, clientIDs []uint64) (map[uint64]Invitation, error) {
	out := make(map[uint64]Invitation, len(clientIDs))
	if len(clientIDs) == 0 {
		return out, nil
	}
	newest := s.with(ctx).Model(&Invitation{}).Select("MAX(id)").Where("client_id IN ?", clientIDs).Group("client_id")
	var rows []Invitation
	if err := s.with(ctx).Where("id IN (?)", newest).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("latest invitations: %w", err)
	}
	for _, r := range rows {
		out[r.ClientID] = r
	}
	return out, nil
}
