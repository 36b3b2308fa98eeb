package portal

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/clientportal/portal/internal/netaddr"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// Actor is who asks for an action, and from where. The audit log records it.
type Actor struct {
	// Kind is vocab.ActorStaff, vocab.ActorClient, vocab.ActorGuest or vocab.ActorSystem.
	Kind string
	// Name is the staff member's name, the client's email, or "" for a guest.
	Name string
	// Role is the staff member's role (vocab.RoleAdmin or vocab.RoleSupport).
	Role string
	// ClientID is the logged-in client, for client actors.
	ClientID uint64
	// RemoteAddr is the SSH peer, host:port ("" for local commands).
	RemoteAddr string
	// SessionID is the SSH session acting, so that "end my other sessions"
	// can spare it.
	SessionID string
	// Key is the SHA256 fingerprint of the staff key the actor connected
	// with. Every staff action checks it again, so a key removed, or a
	// role changed, takes effect at once in consoles already open.
	Key string
}

// Guest is someone not identified yet: a client before log in.
func Guest(remoteAddr, sessionID string) Actor {
	return Actor{Kind: vocab.ActorGuest, RemoteAddr: remoteAddr, SessionID: sessionID}
}

// System is the portal itself, or an operator at the server's shell
// (`portal staff add`), who holds every right.
func System(name string) Actor {
	if name == "" {
		name = "system"
	}
	return Actor{Kind: vocab.ActorSystem, Name: name, Role: vocab.RoleAdmin}
}

// AsClient is the same person once logged in as client c.
func (a Actor) AsClient(c *Client) Actor { return a.asClient(c.ID, c.EmailNorm) }

func (a Actor) asClient(id uint64, emailNorm string) Actor {
	return Actor{Kind: vocab.ActorClient, Name: emailNorm, ClientID: id, RemoteAddr: a.RemoteAddr, SessionID: a.SessionID}
}

// StaffActor is a staff member identified by the key they connected with.
func StaffActor(st *StaffMember, remoteAddr string) Actor {
	return Actor{Kind: vocab.ActorStaff, Name: st.Name, Role: st.Role, RemoteAddr: remoteAddr, Key: st.Fingerprint}
}

// IsStaff reports whether the actor is staff (or the system).
func (a Actor) IsStaff() bool { return a.Kind == vocab.ActorStaff || a.Kind == vocab.ActorSystem }

// IsAdmin reports whether the actor may do admin-only actions.
func (a Actor) IsAdmin() bool { return a.IsStaff() && a.Role == vocab.RoleAdmin }

// sourceHost is the address without its port: per-address limits count
// hosts, not connections.
func (a Actor) sourceHost() string {
	host, _, err := net.SplitHostPort(a.RemoteAddr)
	if err != nil {
		return a.RemoteAddr
	}
	return host
}

// limitHost is what the per-address limits count: the same key the SSH
// listener's limits use (an IPv6 host counts as its /64).
func (a Actor) limitHost() string { return netaddr.LimitKey(a.RemoteAddr) }

// requireStaff refuses anyone who may not do the staff's daily work.
func (s *Service) requireStaff(ctx context.Context, a Actor) error {
	return s.authorize(ctx, a, ActStaffWork)
}

func (s *Service) currentRole(ctx context.Context, a Actor) (string, error) {
	return s.currentRoleIn(ctx, s.store, a)
}

// currentRoleIn is currentRole read through st: a transaction that must
// commit only while the actor still has the role.
func (s *Service) currentRoleIn(ctx context.Context, st *store.Store, a Actor) (string, error) {
	if !a.IsStaff() {
		return "", ErrForbidden
	}
	if a.Kind != vocab.ActorStaff || a.Key == "" {
		// The system, or a test's or a local command's actor: no key to
		// check again.
		return a.Role, nil
	}
	staff, err := st.StaffByFingerprint(ctx, a.Key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && staff.Name != a.Name) {
		return "", ErrForbidden
	}
	if err != nil {
		return "", fmt.Errorf("check staff key: %w", err)
	}
	return staff.Role, nil
}
