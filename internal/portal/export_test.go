package portal

import (
	"context"

	"github.com/clientportal/portal/internal/store"
)

// QueueSecurityMail is queueSecurityMail, for the tests of its cap.
func (s *Service) QueueSecurityMail(ctx context.Context, st *store.Store, kind string, c *store.Client, args ...any) (bool, error) {
	return s.queueSecurityMail(ctx, st, kind, c, args...)
}
