package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	charmlog "github.com/charmbracelet/log"
	"github.com/charmbracelet/ssh"
	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/config"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/profiling"
	"github.com/clientportal/portal/internal/server"
	"github.com/clientportal/portal/internal/server/commands"
	"github.com/clientportal/portal/tui/admin"
	"github.com/clientportal/portal/tui/client"
	"github.com/clientportal/portal/tui/ui"
)

func newServeCommand(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the SSH server",
		Args:  cobra.NoArgs,
	}
	cfg := config.Bind(cmd.Flags(), getenv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := cfg.Validate(); err != nil {
			return err
		}
		log := newLogger(cmd.ErrOrStderr())
		return serve(cmd.Context(), cfg, log, nil)
	}
	return cmd
}

func newLogger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	return slog.New(charmlog.NewWithOptions(w, charmlog.Options{ReportTimestamp: true, TimeFormat: time.DateTime}))
}

// serve runs the portal until ctx ends, then shuts down gracefully. ready,
// when set, is told the bound address once the server listens.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, ready func(net.Addr)) error {
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := a.service
	if err := os.MkdirAll(cfg.ImportDir, 0o700); err != nil {
		// Only the console's import needs it, and it says where files go.
		log.Warn("could not make the import folder", "import_dir", cfg.ImportDir, "err", err)
	}
	if err := svc.StartInstance(ctx); err != nil {
		return err
	}
	if n, err := svc.RegisterInitialAdmins(ctx, cfg.InitialAdminKeys); err != nil {
		return fmt.Errorf("--initial-admin-key: %s", errorLine(svc, err))
	} else if n > 0 {
		log.Info("registered initial admin keys", "count", n)
	}
	unauth := 0 // the server's default
	if cfg.MaxSessionsPerAddress == 0 {
		// "No limit per address" is for load tests from one loopback
		// address, whose handshakes in flight would hit this one too.
		unauth = -1
	}
	startups := server.Startups{Start: cfg.Startups.Start, Rate: cfg.Startups.Rate, Full: cfg.Startups.Full}
	if cfg.Startups.Off {
		startups = server.Startups{Full: -1}
	}
	srv, err := server.New(server.Config{
		MaxUnauthenticatedPerAddress: unauth,
		MaxStartups:                  startups,
		MaxSessions:                  cfg.MaxSessions,
		Listen:                       cfg.Listen,
		HostKeyDir:                   cfg.HostKeys,
		StaffUser:                    vocab.StaffUser,
		IdleTimeout:                  cfg.IdleTimeout,
		MaxSessionsPerAddress:        cfg.MaxSessionsPerAddress,
		ConnectHint:                  svc.ConnectCommand(""),
		Catalog:                      svc.Catalog(),
	}, routes(svc, log), log)
	if err != nil {
		return fmt.Errorf("--host-keys %s: %w", cfg.HostKeys, err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", cfg.Listen, err)
	}
	var profLn net.Listener
	if cfg.Pprof != "" {
		if profLn, err = profiling.Listen(cfg.Pprof); err != nil {
			_ = ln.Close()
			return fmt.Errorf("--pprof %s: %w", cfg.Pprof, err)
		}
		log.Info("profiler listening", "pprof", profLn.Addr().String())
	}
	log.Info("portal listening", "addr", ln.Addr().String(), "url", svc.PortalURL(),
		"host_key", srv.HostKeyFingerprint(), "mail", mailTarget(cfg),
		"database", a.store.Dialect(), "instance", svc.Instance())
	if ready != nil {
		ready(ln.Addr())
	}

	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if profLn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := profiling.Serve(bg, profLn); err != nil {
				log.Error("profiler stopped", "err", err)
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = a.worker.Run(bg)
	}()
	go func() {
		defer wg.Done()
		svc.RunInstance(bg)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
		<-serveErr
	}
	stopBackground()
	wg.Wait()
	// After the worker: a message it was still sending must not be handed
	// to another instance.
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	svc.StopInstance(stopCtx)
	cancel()
	if errors.Is(err, ssh.ErrServerClosed) {
		err = nil
	}
	return err
}

// routes connects the SSH layer to the domain and the TUIs.
func routes(svc *portal.Service, log *slog.Logger) server.Routes {
	return server.Routes{
		StaffKeyKnown: svc.IsStaffKey,
		StaffCommand: func(s ssh.Session, key gossh.PublicKey) int {
			return commands.Serve(commands.WithLogger(s.Context(), log), svc, s, key)
		},
		Client: func(sess ui.Session, inviteToken string) tea.Model {
			return client.New(svc, sess, inviteToken)
		},
		StaffConsole: func(sess ui.Session, key gossh.PublicKey) tea.Model {
			actor, err := svc.OpenStaffSession(sess.Context, key, sess.RemoteAddr, sess.ID, sess.End)
			if err != nil {
				// Removed since the handshake: the server falls back to
				// the command list, which refuses the same way.
				return nil
			}
			return admin.New(svc, sess, actor)
		},
	}
}

func mailTarget(cfg *config.Config) string {
	if cfg.SMTP != "" {
		return "smtp"
	}
	return cfg.Data + string(os.PathSeparator) + "mail"
}

// errorLine is the English text of a domain refusal, or the error itself.
func errorLine(svc *portal.Service, err error) string {
	if pe := portal.AsError(err); pe != nil {
		return strings.TrimSpace(portal.Message(svc.Catalog().Printer("en"), err))
	}
	return err.Error()
}
