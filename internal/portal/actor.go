package portal

import (
	"net"

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
	return Actor{Kind: store.ActorStaff, Name: st.Name, Role: st.Role, RemoteAddr: remoteAddr}
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

func requireStaff(a Actor) error {
	if !a.IsStaff() {
		return ErrForbidden
	}
	return nil
}

func requireAdmin(a Actor) error {
	if !a.IsAdmin() {
		return ErrForbidden
	}
	return nil
}
