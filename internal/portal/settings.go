package portal

import (
	"context"
	"fmt"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// SignUpMode tells whether clients may sign up: vocab.SignUpOff (the
// default), vocab.SignUpOn, or vocab.SignUpApproval (a verified sign-up
// waits for staff).
func (s *Service) SignUpMode(ctx context.Context) (string, error) {
	v, err := s.store.Setting(ctx, store.SettingSignUp, vocab.SignUpOff)
	if err != nil {
		return "", err
	}
	switch v {
	case vocab.SignUpOn, vocab.SignUpApproval:
		return v, nil
	}
	return vocab.SignUpOff, nil
}

// SignUpEnabled reports whether clients may sign up, in either mode.
func (s *Service) SignUpEnabled(ctx context.Context) (bool, error) {
	mode, err := s.SignUpMode(ctx)
	return mode != vocab.SignUpOff, err
}

// SetSignUpMode sets how clients may sign up. Admins only.
func (s *Service) SetSignUpMode(ctx context.Context, a Actor, mode string) error {
	if err := s.authorize(ctx, a, ActChangeSettings); err != nil {
		return err
	}
	switch mode {
	case vocab.SignUpOff, vocab.SignUpOn, vocab.SignUpApproval:
	default:
		return refuse("mode", "error.signup.mode_invalid")
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		if err := tx.SetSetting(ctx, store.SettingSignUp, mode, s.clock()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditSettingSignUp, "", mode)
	})
	if err != nil {
		return fmt.Errorf("set sign-up %s: %w", mode, err)
	}
	return nil
}
