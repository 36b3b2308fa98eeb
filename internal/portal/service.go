// Package portal is the domain: every action a client or a staff member can
// take is a method here that validates its input, checks the actor's role,
// writes the audit record and queues the mail it causes, in one
// transaction. The TUIs and the SSH commands call these methods and nothing
// else; a form and a command doing the same thing run the same code.
package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// Config is what the domain needs to know about the deployment.
type Config struct {
	// PublicAddr is the host:port clients connect to.
	PublicAddr string
	// InviteTTL is how long an invitation stays valid.
	InviteTTL time.Duration
	// MailFrom is the sender address of every mail.
	MailFrom string
	// TeamEmail is the legal team's address for request notices; "" mails
	// no one.
	TeamEmail string
	// StaffUser is the SSH user name staff connect as.
	StaffUser string
	// ImportDir is the only folder OpenImportFile reads from; "" lets
	// the console import no file.
	ImportDir string
}

// Service runs the portal's actions. One Service serves every session.
type Service struct {
	store    *store.Store
	hasher   *auth.Hasher
	catalog  *text.Catalog
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	sessions *Sessions
	wakeMail func()
	// hostBuckets and sessionBuckets refuse floods of limited attempts in
	// memory, before the shared count (limitAddress); rateNotes keeps a
	// flood's audit line to one a window.
	hostBuckets, sessionBuckets, rateNotes *throttle
	quotas                                 Quotas
	instance                               string // this process among those sharing the database
	// sessionEndsRead is the last session end StartInstance found, where
	// RunInstance starts reading.
	sessionEndsRead atomic.Uint64
}

// Option changes a Service made by New.
type Option func(*Service)

// WithClock replaces time.Now, for tests that move time (expiry, lockout).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithMailWake is called after a transaction that queued mail commits, so the
// worker delivers it at once rather than at its next poll.
func WithMailWake(wake func()) Option { return func(s *Service) { s.wakeMail = wake } }

// New makes the Service.
func New(st *store.Store, hasher *auth.Hasher, catalog *text.Catalog, cfg Config, opts ...Option) *Service {
	if cfg.InviteTTL <= 0 {
		cfg.InviteTTL = 24 * time.Hour
	}
	if cfg.StaffUser == "" {
		cfg.StaffUser = vocab.StaffUser
	}
	if cfg.MailFrom == "" {
		cfg.MailFrom = "portal@localhost"
	}
	s := &Service{
		store:    st,
		hasher:   hasher,
		catalog:  catalog,
		cfg:      cfg,
		now:      time.Now,
		log:      slog.New(slog.DiscardHandler),
		wakeMail: func() {},
		quotas:   DefaultQuotas(),
		instance: newInstanceID(),
		// The host's bucket holds what the shared limit allows, refilled
		// at its pace; a session's allows the same burst, then one try a
		// second, which no person typing reaches.
		hostBuckets:    newThrottle(auth.AddressLimit, auth.AddressWindow/auth.AddressLimit),
		sessionBuckets: newThrottle(auth.AddressLimit, time.Second),
		rateNotes:      newThrottle(1, auth.AddressWindow),
	}
	for _, o := range opts {
		o(s)
	}
	s.sessions = NewSessions(s.clock, sessionRecorder{s})
	return s
}

// Catalog is the message catalog the service writes mail with.
func (s *Service) Catalog() *text.Catalog { return s.catalog }

// Logger is where the service logs; screens and commands log the internal
// errors they show as a generic message here too.
func (s *Service) Logger() *slog.Logger { return s.log }

// Sessions is the registry of live client sessions.
func (s *Service) Sessions() *Sessions { return s.sessions }

func (s *Service) clock() time.Time { return s.now().UTC() }

// PortalURL is the address to share with clients, ssh://HOST:PORT.
func (s *Service) PortalURL() string {
	return "ssh://" + s.cfg.PublicAddr
}

// ConnectCommand is the ssh command that opens the portal as user (empty
// user: no user part). The port is left out when it is 22.
func (s *Service) ConnectCommand(user string) string {
	host, port := s.hostPort()
	cmd := "ssh -t"
	if port != "22" {
		cmd += " -p " + port
	}
	if user != "" {
		host = user + "@" + host
	}
	return cmd + " " + host
}

func (s *Service) hostPort() (string, string) {
	host, port, err := net.SplitHostPort(s.cfg.PublicAddr)
	if err != nil {
		return s.cfg.PublicAddr, "22"
	}
	if host == "" {
		host = "localhost"
	}
	if _, err := strconv.Atoi(port); err != nil {
		port = "22"
	}
	return host, port
}

// tx runs fn in one transaction and wakes the mail worker once it commits.
func (s *Service) tx(ctx context.Context, fn func(tx *store.Store) error) error {
	if err := s.store.Tx(ctx, fn); err != nil {
		return err
	}
	s.wakeMail()
	return nil
}

// audit writes one audit event through st (a transaction, usually).
func (s *Service) audit(ctx context.Context, st *store.Store, a Actor, action, subject, detail string) error {
	e := &store.AuditEvent{
		At:         s.clock(),
		ActorKind:  a.Kind,
		Actor:      a.Name,
		Action:     action,
		Subject:    subject,
		Detail:     detail,
		RemoteAddr: a.RemoteAddr,
	}
	if err := st.AddAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
