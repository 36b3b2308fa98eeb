package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/loadtest"
	"github.com/clientportal/portal/internal/loadtest/floor"
)

// serverKinds are the runs --servers can name, in the order they run.
var serverKinds = []string{"floor", "portal", "portal-silent"}

type runFlags struct {
	sessions, rate, sources, logins int
	servers                         []string
	portalBin, profiles             string
	settle, cpuWindow, closeSettle  time.Duration
	timeout                         time.Duration
}

func newRunCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "portal-load",
		Short: "Load the portal and the floor side by side on 127.0.0.1 and report the figures",
		Long: `portal-load starts the floor (a bare wish + bubbletea app) and the portal, each as its
own process on 127.0.0.1, and loads each in turn: --sessions sessions, each with an 80x24 PTY,
ramped at --rate per second from --sources loopback addresses and held open; then --logins
scripted log ins at once (portal only). It prints a table and then the same figures as one
JSON line, with DESIGN.md's performance targets judged from them.`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.IntVar(&f.sessions, "sessions", 500, "sessions held at once")
	fl.IntVar(&f.rate, "rate", 100, "new sessions per second during the ramp")
	fl.IntVar(&f.sources, "sources", 1, "loopback source addresses the sessions come from (127.0.0.1, .2, …)")
	fl.IntVar(&f.logins, "logins", 50, "scripted log ins at once while the sessions are held (portal runs only; 0: none)")
	fl.StringSliceVar(&f.servers, "servers", serverKinds, "runs, in order: floor, portal (cooperative terminals), portal-silent (terminals that never answer a query)")
	fl.StringVar(&f.portalBin, "portal-bin", "", "portal binary to measure (default: build ./cmd/portal of this module)")
	fl.StringVar(&f.profiles, "profiles", "", "directory for each server's heap profiles before, during and after the load, and its goroutines after (for go tool pprof)")
	fl.DurationVar(&f.settle, "settle", 3*time.Second, "wait after the ramp before memory is read")
	fl.DurationVar(&f.cpuWindow, "cpu-window", 10*time.Second, "idle window over which CPU time is measured")
	fl.DurationVar(&f.closeSettle, "close-settle", 10*time.Second, "wait after closing every session before memory is read again")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "a session whose first frame takes longer fails")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := f.validate(); err != nil {
			return err
		}
		return runLoad(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	return cmd
}

func (f *runFlags) validate() error {
	switch {
	case f.sessions < 1 || f.sessions > 100_000:
		return fmt.Errorf("--sessions: %d is out of range (1 to 100000)", f.sessions)
	case f.rate < 1 || f.rate > 10_000:
		return fmt.Errorf("--rate: %d is out of range (1 to 10000 per second)", f.rate)
	case f.sources < 1 || f.sources > 250*100:
		return fmt.Errorf("--sources: %d is out of range (1 to 25000)", f.sources)
	case f.logins < 0 || f.logins > 1000:
		return fmt.Errorf("--logins: %d is out of range (0 to 1000)", f.logins)
	case len(f.servers) == 0:
		return fmt.Errorf("--servers: name at least one of %s", strings.Join(serverKinds, ", "))
	}
	for _, s := range f.servers {
		if !contains(serverKinds, s) {
			return fmt.Errorf("--servers: %q is not one of %s", s, strings.Join(serverKinds, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runLoad(ctx context.Context, f runFlags, stdout, stderr interface{ Write([]byte) (int, error) }) error {
	// Every held session is a socket here and one in the server (which
	// inherits the limit).
	raiseNoFile(uint64(2*(f.sessions+f.logins) + 256))
	work, err := os.MkdirTemp("", "portal-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "portal-load: "+format+"\n", args...) }

	opt := loadtest.Options{
		Sessions: f.sessions, Rate: f.rate, Sources: f.sources,
		FirstFrameTimeout: f.timeout, Settle: f.settle, CPUWindow: f.cpuWindow, CloseSettle: f.closeSettle,
		ProfileDir: f.profiles,
	}
	if f.profiles != "" {
		if err := os.MkdirAll(f.profiles, 0o755); err != nil {
			return fmt.Errorf("--profiles: %w", err)
		}
	}
	var runs []loadtest.Result
	for _, kind := range f.servers {
		var srv *process
		o := opt
		dir := filepath.Join(work, kind)
		switch kind {
		case "floor":
			self, err := os.Executable()
			if err != nil {
				return err
			}
			srv, err = startServer(ctx, "floor", exec.Command(self, "floor", "--host-key", filepath.Join(dir, "floor_ed25519")))
			if err != nil {
				return err
			}
			srv.FirstFrame = floor.Banner
		default:
			if f.portalBin == "" {
				logf("building ./cmd/portal")
				if f.portalBin, err = buildPortal(ctx, work); err != nil {
					return err
				}
			}
			o.Silent = kind == "portal-silent"
			if f.logins > 0 {
				logf("%s: adding %d clients for the log ins", kind, f.logins)
				if o.Logins, err = seedClients(ctx, filepath.Join(dir, "data"), f.logins); err != nil {
					return err
				}
			}
			srv, err = startServer(ctx, "portal", exec.Command(f.portalBin, "serve",
				"--listen", "127.0.0.1:0", "--pprof", "127.0.0.1:0", "--max-sessions-per-address", "0", "--max-startups", "0",
				"--data", filepath.Join(dir, "data"), "--host-keys", filepath.Join(dir, "hostkeys")))
			if err != nil {
				return err
			}
			srv.FirstFrame = "Welcome"
		}
		logf("%s: %d sessions at %d/s from %d address(es)", kind, o.Sessions, o.Rate, o.Sources)
		// Let the server settle after its start.
		time.Sleep(time.Second)
		res, err := loadtest.Run(ctx, srv.Server, o)
		srv.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		if n, first := srv.warnings(); n > 0 {
			logf("%s logged %d warnings or errors; the first: %s", kind, n, strings.Join(first, " | "))
		}
		runs = append(runs, res)
	}
	rep := loadtest.NewReport(runs)
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	return rep.WriteJSON(stdout)
}

// buildPortal builds ./cmd/portal of this module into dir.
func buildPortal(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "bin", "portal")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/clientportal/portal/cmd/portal")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the portal (or name one with --portal-bin): %v\n%s", err, out)
	}
	return bin, nil
}

// raiseNoFile lifts the soft open-file limit to want, or as far as the hard
// limit allows.
func raiseNoFile(want uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= want {
		return
	}
	lim.Cur = min(want, lim.Max)
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
