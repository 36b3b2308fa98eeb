// Package server is the portal's SSH layer: host keys, authentication,
// listener limits, the middleware chain and the per-session Bubble Tea
// programs. It holds no domain logic: once a connection is authenticated it
// hands the session to the Routes it was given.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultIdleTimeout                  = 15 * time.Minute
	DefaultMaxSessionTime               = 12 * time.Hour
	DefaultHandshakeTimeout             = 30 * time.Second
	DefaultMaxUnauthenticatedPerAddress = 10
	DefaultOutputTimeout                = 30 * time.Second
)

// Routes is what the server hands a connection to once the handshake is over.
type Routes struct {
	// StaffKeyKnown reports whether key is registered to a staff member. It only accepts or
	// refuses a key at the SSH layer for the staff user; identity is decided after the handshake.
	StaffKeyKnown func(ctx context.Context, key gossh.PublicKey) bool
	// StaffCommand runs a one-shot command for the staff member owning key (already verified)
	// and returns the exit status.
	StaffCommand func(s ssh.Session, key gossh.PublicKey) int
	// StaffConsole returns the console model for a staff PTY session without a command; nil
	// means "no console yet": StaffCommand runs with args ["help"] and the session exits 0.
	StaffConsole func(sess ui.Session, key gossh.PublicKey) tea.Model
	// Client returns the client TUI model; inviteToken is the TOKEN of an invite-TOKEN user
	// name, or "".
	Client func(sess ui.Session, inviteToken string) tea.Model
	// Sessions, when set, is told when each routed SSH session starts and ends (for the
	// live-session registry).
	Sessions SessionObserver
}

// SessionObserver is told about every SSH session that reaches routing. Both
// methods are called from the session's own goroutine and must not block long.
type SessionObserver interface {
	SessionStarted(sess ui.Session)
	SessionEnded(id string)
}

// Config holds the SSH layer's settings. Zero durations and counts take the
// defaults above, except MaxSessionsPerAddress where 0 means no limit.
type Config struct {
	Listen     string
	HostKeyDir string
	StaffUser  string
	// IdleTimeout ends a session after this long without a keystroke.
	IdleTimeout time.Duration
	// MaxSessionTime ends a session after this long whatever happens.
	MaxSessionTime time.Duration
	// HandshakeTimeout bounds the time from accept to the first session.
	HandshakeTimeout time.Duration
	// OutputTimeout closes a session's connection once its output has
	// waited this long for a client that does not read.
	OutputTimeout time.Duration
	// InputRate and InputBurst pace a session's keys, in bytes a second and
	// bytes (a bracketed paste counts as one key); 0 takes the defaults.
	InputRate, InputBurst int
	// MaxUnauthenticatedPerAddress bounds connections per source IP that
	// have not reached a session yet; 0 takes the default, a negative
	// number means no limit.
	MaxUnauthenticatedPerAddress int
	// MaxSessionsPerAddress bounds live sessions per source IP; 0 = no limit.
	MaxSessionsPerAddress int
	// MaxStartups refuses connections past this many in their handshake
	// over all addresses (see Startups); the zero value takes
	// DefaultStartups, Full < 0 means no limit.
	MaxStartups Startups
	// MaxSessions bounds live sessions over all addresses; 0 = no limit.
	MaxSessions int
	// ConnectHint is how a client should connect, shown to sessions without a PTY.
	ConnectHint string
	// Catalog words the lines the server itself writes to a session; nil
	// loads the embedded one.
	Catalog *text.Catalog
}

// Server is the portal's SSH server. Make one with New.
type Server struct {
	cfg    Config
	routes Routes
	log    *slog.Logger
	srv    *ssh.Server
	signer gossh.Signer
	limits *limiter
	p      text.Printer

	shuttingDown atomic.Bool

	mu   sync.Mutex
	addr net.Addr
	ln   net.Listener // the wrapped listener Serve accepts on
	live map[*liveSession]struct{}
}

// New checks cfg and routes, loads or makes the host key and builds the
// server. It does not listen yet.
func New(cfg Config, routes Routes, log *slog.Logger) (*Server, error) {
	cfg = withDefaults(cfg)
	if cfg.HostKeyDir == "" {
		return nil, errors.New("server: host key directory is required")
	}
	if routes.StaffKeyKnown == nil || routes.StaffCommand == nil || routes.Client == nil {
		return nil, errors.New("server: routes StaffKeyKnown, StaffCommand and Client are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Catalog == nil {
		cat, err := text.Load()
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		cfg.Catalog = cat
	}
	signer, err := loadOrCreateHostKey(cfg.HostKeyDir)
	if err != nil {
		return nil, fmt.Errorf("server: host key in %s: %w", cfg.HostKeyDir, err)
	}
	limits := newLimiter(cfg.MaxUnauthenticatedPerAddress, cfg.MaxSessionsPerAddress)
	limits.startups, limits.maxTotal = cfg.MaxStartups, cfg.MaxSessions
	s := &Server{
		cfg:    cfg,
		routes: routes,
		log:    log,
		signer: signer,
		limits: limits,
		p:      cfg.Catalog.Printer(text.English),
		live:   make(map[*liveSession]struct{}),
	}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Listen),
		// wish.WithMiddleware runs the last middleware first: this reads
		// innermost to outermost.
		wish.WithMiddleware(
			s.routing,
			s.limitsMiddleware,
			s.loggingMiddleware,
			s.recoverMiddleware,
		),
		func(srv *ssh.Server) error {
			srv.AddHostKey(signer)
			return nil
		},
	)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	// Authentication callbacks live in the x/crypto config, not in
	// charmbracelet/ssh's handlers: those only see the context's user name,
	// which is frozen at the first auth attempt, while a client may change
	// user names between attempts.
	srv.ServerConfigCallback = s.serverConfig
	srv.ConnCallback = s.connCallback
	srv.ConnectionFailedCallback = func(conn net.Conn, err error) {
		s.log.Debug("ssh handshake failed", "remote", conn.RemoteAddr().String(), "err", err)
	}
	// Only session channels; no global requests (so no tcpip-forward), no
	// subsystems. Non-nil empty maps keep the library from filling defaults.
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
	srv.RequestHandlers = map[string]ssh.RequestHandler{}
	srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{}
	srv.LocalPortForwardingCallback = nil
	srv.ReversePortForwardingCallback = nil
	// A backstop under the graceful MaxSessionTime end: the connection itself
	// dies a little later even if a program ignores being killed.
	srv.MaxTimeout = cfg.MaxSessionTime + time.Minute
	s.srv = srv
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.StaffUser == "" {
		cfg.StaffUser = vocab.StaffUser
	}
	orDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	orDefault(&cfg.MaxSessionTime, DefaultMaxSessionTime)
	orDefault(&cfg.HandshakeTimeout, DefaultHandshakeTimeout)
	orDefault(&cfg.InputRate, DefaultInputRate)
	orDefault(&cfg.InputBurst, DefaultInputBurst)
	orDefault(&cfg.OutputTimeout, DefaultOutputTimeout)
	if cfg.MaxUnauthenticatedPerAddress == 0 {
		cfg.MaxUnauthenticatedPerAddress = DefaultMaxUnauthenticatedPerAddress
	}
	// Negative counts mean no limit, as zero does.
	cfg.MaxSessionsPerAddress = max(cfg.MaxSessionsPerAddress, 0)
	cfg.MaxSessions = max(cfg.MaxSessions, 0)
	if cfg.MaxStartups == (Startups{}) {
		cfg.MaxStartups = DefaultStartups
	}
	return cfg
}

// orDefault sets *v to def when it is zero or negative: none of these
// settings has a meaning below one.
func orDefault[T ~int | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// ListenAndServe listens on Config.Listen and serves until Shutdown or
// Close, when it returns nil.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ln)
}

// Serve serves SSH on ln until Shutdown or Close, when it returns nil.
func (s *Server) Serve(ln net.Listener) error {
	wrapped := &limitedListener{Listener: ln, limits: s.limits, handshake: s.cfg.HandshakeTimeout, log: s.log}
	s.mu.Lock()
	if s.shuttingDown.Load() {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.addr = ln.Addr()
	s.ln = wrapped
	s.mu.Unlock()
	err := s.srv.Serve(wrapped)
	if errors.Is(err, ssh.ErrServerClosed) || (s.shuttingDown.Load() && errors.Is(err, net.ErrClosed)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: serve: %w", err)
	}
	return nil
}

// Addr is the address the server listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// HostKeyFingerprint is the SHA256 fingerprint of the host key, as ssh shows it.
func (s *Server) HostKeyFingerprint() string {
	return gossh.FingerprintSHA256(s.signer.PublicKey())
}

// Shutdown stops accepting connections, ends every program (so each client's
// terminal is restored), and waits for connections to close. If ctx ends
// first, it closes everything at once and returns ctx's error.
//
// It waits on its own count of connections rather than calling the
// library's Shutdown: that one waits on a sync.WaitGroup that a connection
// finishing its handshake at the same moment adds to, which the race
// detector rightly reports (an Add from zero concurrent with a Wait).
// Every connection enters the count in Accept, before the library sees it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopAccepting()

	s.mu.Lock()
	live := make([]*liveSession, 0, len(s.live))
	for ls := range s.live {
		live = append(live, ls)
	}
	s.mu.Unlock()
	for _, ls := range live {
		ls.endWith(endShutdown)
	}
	// Connections still in their handshake or lingering after their session
	// would only hold Shutdown up.
	s.limits.drain()

	select {
	case <-s.limits.idle():
		return s.closeLibrary()
	case <-ctx.Done():
		s.limits.closeAll()
		if err := s.closeLibrary(); err != nil {
			return errors.Join(fmt.Errorf("server: shutdown: %w", ctx.Err()), err)
		}
		return fmt.Errorf("server: shutdown: %w", ctx.Err())
	}
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.stopAccepting()
	s.limits.closeAll()
	return s.closeLibrary()
}

// stopAccepting marks the server as shutting down and closes its listener,
// so Serve returns and no connection is accepted from here on.
func (s *Server) stopAccepting() {
	s.mu.Lock()
	s.shuttingDown.Store(true)
	ln := s.ln
	s.mu.Unlock()
	s.limits.stopAdmitting()
	if ln != nil {
		_ = ln.Close()
	}
}

// closeLibrary closes what charmbracelet/ssh still holds: its connections
// past the handshake (none after a clean drain) and its done channel.
func (s *Server) closeLibrary() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("server: close: %w", err)
	}
	return nil
}

func (s *Server) track(ls *liveSession, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.live[ls] = struct{}{}
	} else {
		delete(s.live, ls)
	}
}
