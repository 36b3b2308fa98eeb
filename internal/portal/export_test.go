package portal

import (
	"context"

	"github.com/clientportal/portal/internal/store"
)

// LoginCredential is the credential a session bound with c would hold.
func LoginCredential(c *Client) string { return c.login.credential }

// QueueSecurityMail queues a security mail to c as the portal does, for the
// tests of its daily cap.
func (s *Service) QueueSecurityMail(ctx context.Context, st *store.Store, kind string, c *Client, args ...any) (bool, error) {
	return s.queueMailTo(ctx, st, recipient{addr: mailTo(&store.Client{Email: c.Email, Name: c.Name}), lang: c.Lang, clientID: &c.ID}, kind, args...)
}

// Actions lists every action, for the tests of the rule table.
func Actions() []Action {
	return []Action{ActStaffWork, ActAddClient, ActImportClients, ActDisableClient, ActEnableClient,
		ActEditRequestTypes, ActChangeSettings, ActManageStaff, ActReadFullAudit}
}
