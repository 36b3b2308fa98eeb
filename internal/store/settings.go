package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Setting keys.
const (
	SettingSignUp = "signup" // one of the SignUp* modes
)

// Setting returns a setting's value, or def when it was never set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	var st Setting
	err := s.with(ctx).Where("key = ?", key).Take(&st).Error
	if errors.Is(notFound(err), ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return st.Value, nil
}

// SetSetting stores a setting's value.
func (s *Store) SetSetting(ctx context.Context, key, value string, now time.Time) error {
	err := s.with(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&Setting{Key: key, Value: value, UpdatedAt: now}).Error
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}
