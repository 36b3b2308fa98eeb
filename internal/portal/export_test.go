package portal

import (
	"context"

	"github.com/clientportal/portal/internal/store"
)

// QueueSecurityMail queues a security mail to c as the portal does, for the
// tests of its daily cap.
func (s *Service) QueueSecurityMail(ctx context.Context, st *store.Store, kind string, c *store.Client, args ...any) (bool, error) {
	return s.queueMailTo(ctx, st, recipient{addr: mailTo(c), lang: c.Lang, clientID: &c.ID}, kind, args...)
}
