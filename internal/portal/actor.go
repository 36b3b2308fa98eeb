package portal

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/clientportal/portal/internal/netaddr"
	"github.com/clientportal/portal/internal/store"
)

// Actor is who asks for an action, and from where. The audit log records it.
type Actor struct {
	// Kind is store.ActorStaff, store.ActorClient, store.ActorGuest or store.ActorSystem.
	Kind string
	// Name is the staff member's name, the client's email, or "" for a guest.
	Name string
	// Role is the staff member's role (store.RoleAdmin or store.RoleSupport).
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
	return Actor{Kind: store.ActorGuest, RemoteAddr: remoteAddr, SessionID: sessionID}
}

// System is the portal itself, or an operator at the server's shell
// (`portal staff add`), who holds every right.
func System(name string) Actor {
	if name == "" {
		name = "system"
	}
	return Actor{Kind: store.ActorSystem, Name: name, Role: store.RoleAdmin}
}

// AsClient is the same person once logged in as client c.
func (a Actor) AsClient(c *store.Client) Actor {
	return Actor{Kind: store.ActorClient, Name: c.EmailNorm, ClientID: c.ID, RemoteAddr: a.RemoteAddr, SessionID: a.SessionID}
}

// StaffActor is a staff member identified by the key they connected with.
func StaffActor(st *store.Staff, remoteAddr string) Actor {
	return Actor{Kind: store.ActorStaff, Name: st.Name, Role: st.Role, RemoteAddr: remoteAddr, Key: st.Fingerprint}
}

// IsStaff reports whether the actor is staff (or the system).
func (a Actor) IsStaff() bool { return a.Kind == store.ActorStaff || a.Kind == store.ActorSystem }

// IsAdmin reports whether the actor may do admin-only actions.
func (a Actor) IsAdmin() bool { return a.IsStaff() && a.Role == store.RoleAdmin }

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

// requireStaff refuses anyone but staff. A staff actor who came with a key
// is checked against the database now, with the role it has now.
func (s *Service) requireStaff(ctx context.Context, a Actor) error {
	_, err := s.currentRole(ctx, a)
	return err
}

// requireAdmin refuses anyone but admins, as requireStaff does.
func (s *Service) requireAdmin(ctx context.Context, a Actor) error {
	role, err := s.currentRole(ctx, a)
	if err != nil {
		return err
	}
	if role != store.RoleAdmin {
		return ErrForbidden
	}
	return nil
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
	if a.Kind != store.ActorStaff || a.Key == "" {
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
