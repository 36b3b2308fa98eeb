package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CreateCode inserts c after revoking the client's other live codes of the
// same purpose: a new code replaces the old one.
func (s *Store) CreateCode(ctx context.Context, c *Code) error {
	err := s.with(ctx).Model(&Code{}).
		Where("client_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL", c.ClientID, c.Purpose).
		Update("revoked_at", c.CreatedAt).Error
	if err != nil {
		return fmt.Errorf("revoke old codes: %w", err)
	}
	if err := s.with(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	return nil
}

// LiveCode finds the client's usable code of that purpose at now: not used,
// not revoked, not expired, with tries left.
func (s *Store) LiveCode(ctx context.Context, clientID uint64, purpose string, now time.Time, maxTries int) (*Code, error) {
	var c Code
	err := s.with(ctx).
		Where("client_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND tries < ?",
			clientID, purpose, now, maxTries).
		Order("id DESC").Take(&c).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// CountCodeTry records one wrong guess.
func (s *Store) CountCodeTry(ctx context.Context, id uint64) error {
	err := s.with(ctx).Model(&Code{}).Where("id = ?", id).Update("tries", gorm.Expr("tries + 1")).Error
	if err != nil {
		return fmt.Errorf("count code try: %w", err)
	}
	return nil
}

// UseCode marks the code used if it still is live; of two uses racing, the
// second gets ErrConflict.
func (s *Store) UseCode(ctx context.Context, id uint64, now time.Time) error {
	res := s.with(ctx).Model(&Code{}).
		Where("id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?", id, now).
		Update("used_at", now)
	if res.Error != nil {
		return fmt.Errorf("use code: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("use code: %w", ErrConflict)
	}
	return nil
}
