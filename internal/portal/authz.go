package portal

import (
	"context"
	"slices"

	"github.com/clientportal/portal/internal/portal/vocab"
)

// Action is a kind of staff work whose right depends on the role: the unit
// of the portal's authorization. The methods check it (authorize) against
// the role the actor has now; the doors ask Can, with the role they were
// given at connection, to show only what the actor may use. Both read the
// one table, allowed, so a console and the domain cannot disagree.
type Action string

// The actions. ActStaffWork is the daily work every staff member does
// (browse clients and requests, resend invitations, end sessions, decide
// sign-ups, read the outbox and their own audit events); the others are
// admins'.
const (
	ActStaffWork        Action = "staff.work"
	ActAddClient        Action = "client.add"
	ActImportClients    Action = "client.import"
	ActDisableClient    Action = "client.disable"
	ActEnableClient     Action = "client.enable"
	ActEditRequestTypes Action = "request_type.edit"
	ActChangeSettings   Action = "settings.change"
	ActManageStaff      Action = "staff.manage"
	// ActReadFullAudit is reading every staff member's audit events; without
	// it the audit log narrows to one's own actions instead of refusing.
	ActReadFullAudit Action = "audit.read_all"
)

// allowed is the rule table: whether a staff member of role may do act.
func allowed(role string, act Action) bool {
	switch act {
	case ActStaffWork:
		return slices.Contains(vocab.Roles(), role)
	case ActAddClient, ActImportClients, ActDisableClient, ActEnableClient,
		ActEditRequestTypes, ActChangeSettings, ActManageStaff, ActReadFullAudit:
		return role == vocab.RoleAdmin
	}
	return false
}

// Can reports whether a may do act, by the role a holds: what a door asks
// to hide a key or a tab. The action itself checks again with the role
// the database holds now (a role changed in an open console takes effect
// at the next action, which refuses with ErrForbidden).
func Can(a Actor, act Action) bool { return a.IsStaff() && allowed(a.Role, act) }

// authorize refuses, with ErrForbidden, an actor whose current role may
// not do act. A staff actor who came with a key is checked against the
// database now (currentRole).
func (s *Service) authorize(ctx context.Context, a Actor, act Action) error {
	role, err := s.currentRole(ctx, a)
	if err != nil {
		return err
	}
	if !allowed(role, act) {
		return ErrForbidden
	}
	return nil
}
