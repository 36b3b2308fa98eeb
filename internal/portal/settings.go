package portal

import (
	"context"
	"fmt"

	"github.com/clientportal/portal/internal/store"
)

// SignUpEnabled reports whether clients may sign up. Off until an admin
// turns it on.
func (s *Service) SignUpEnabled(ctx context.Context) (bool, error) {
	v, err := s.store.Setting(ctx, store.SettingSignUp, "off")
	if err != nil {
		return false, err
	}
	return v == "on", nil
}

// SetSignUp turns client sign-up on or off. Admins only.
func (s *Service) SetSignUp(ctx context.Context, a Actor, on bool) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	v := "off"
	if on {
		v = "on"
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		if err := tx.SetSetting(ctx, store.SettingSignUp, v, s.clock()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "setting.signup", "", v)
	})
	if err != nil {
		return fmt.Errorf("set sign-up %s: %w", v, err)
	}
	return nil
}
