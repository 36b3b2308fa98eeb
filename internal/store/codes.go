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

// SpendCodeTry takes one of the code's tries before it is compared, in one
// conditional UPDATE, so that concurrent guesses cannot get more than
// maxTries between them. It reports false when none was left (or there is
// no such code).
func (s *Store) SpendCodeTry(ctx context.Context, id uint64, maxTries int) (bool, error) {
	res := s.with(ctx).Model(&Code{}).Where("id = ? AND tries < ?", id, maxTries).
		Update("tries", gorm.Expr("tries + 1"))
	if res.Error != nil {
		return false, fmt.Errorf("spend code try: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// LatestCodeAt is when the client's newest code of that purpose was made,
// whatever became of it; zero when there is none.
func (s *Store) LatestCodeAt(ctx context.Context, clientID uint64, purpose string) (time.Time, error) {
	var c Code
	err := s.with(ctx).Where("client_id = ? AND purpose = ?", clientID, purpose).Order("id DESC").Take(&c).Error
	if err != nil {
		if notFound(err) == ErrNotFound {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("latest code: %w", err)
	}
	return c.CreatedAt, nil
}

// UseCode marks the code used if it still is live; of two uses racing, the
// second gets ErrConflict.
func (s *Store) UseCode(ctx context.Context, id uint64, now time.Time) error {
	if err := s.spendOnce(ctx, &Code{}, id, "used_at", now); err != nil {
		return fmt.Errorf("use code: %w", err)
	}
	return nil
}

// spendOnce sets column spent (used_at, accepted_at) of row id of model
// (a code, an invitation) to now if the row is still live: not spent, not
// revoked and not expired at now. It is one conditional UPDATE, so of two
// spends racing only one wins; the other gets ErrConflict.
func (s *Store) spendOnce(ctx context.Context, model any, id uint64, spent string, now time.Time) error {
	res := s.with(ctx).Model(model).
		Where("id = ? AND "+spent+" IS NULL AND revoked_at IS NULL AND expires_at > ?", id, now).
		Update(spent, now)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrConflict
	}
	return nil
}
