package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a throwaway PostgreSQL server on a free 127.0.0.1 port, its
// data in a temporary directory. It trades durability for speed (no fsync):
// it lives as long as one test binary.
type Server struct {
	URL      string // the "postgres" database, as the superuser "postgres"
	Version  string
	password string
	dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// StartServer runs initdb and postgres. initdb refuses to run as root, so
// as root both run as the "postgres" system user.
func StartServer() (*Server, error) {
	initdb, err := findBinary("initdb")
	if err != nil {
		return nil, err
	}
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")
	if _, err := os.Stat(postgres); err != nil {
		if postgres, err = findBinary("postgres"); err != nil {
			return nil, err
		}
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	removeStale()
	// Under the shared temporary directory, not a test's: the server's
	// user must be able to reach it.
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			s.Stop()
			return nil, err
		}
	}
	// A password, not trust: the server listens on 127.0.0.1, where any
	// local user could otherwise connect as its superuser.
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	s.password = hex.EncodeToString(pw[:])
	pwFile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(s.password+"\n"), 0o600); err != nil {
		s.Stop()
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(pwFile, int(cred.Uid), int(cred.Gid)); err != nil {
			s.Stop()
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	out, err := command(cred, initdb, "-D", data, "-U", "postgres", "--auth=scram-sha-256", "--pwfile="+pwFile,
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	_ = os.Remove(pwFile)
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("initdb: %v: %s", err, lastLines(string(out), 5))
	}
	if v, err := exec.Command(postgres, "--version").Output(); err == nil {
		s.Version = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(v)), "postgres (PostgreSQL)"))
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			s.Stop()
			return nil, err
		}
		err = s.start(cred, postgres, data, port)
		if err == nil {
			return s, nil
		}
		if attempt == 3 {
			s.Stop()
			return nil, err
		}
	}
}

// start runs postgres on port and waits until it takes connections.
func (s *Server) start(cred *syscall.Credential, postgres, data string, port int) error {
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := command(cred, postgres, "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "unix_socket_directories=",
		// Throwaway: nothing here must survive a crash of the machine.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		// Parallel tests each hold a pool of their own.
		"-c", "max_connections=400", "-c", "shared_buffers=64MB")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server goes with the test binary, even when that is killed.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()
	s.URL = fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", s.password, port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.exited:
			s.cmd = nil
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited at start: %s", lastLines(string(log), 5))
		default:
		}
		if err := s.ping(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("postgres did not take connections within a minute: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) ping() error {
	db, err := openAdmin(s.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	// SIGQUIT is PostgreSQL's immediate shutdown: nothing here is kept.
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Stop ends the server and removes its data.
func (s *Server) Stop() {
	s.kill()
	_ = os.RemoveAll(s.dir)
}

// tempPrefix names the servers' directories in the temporary directory.
const tempPrefix = "portal-pg-"

// removeStale removes the directories of servers whose test binary was
// killed: its server went with it (Pdeathsig), its files stayed. A server
// still running has its postmaster.pid naming a live process.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		info, err := os.Stat(dir)
		if err != nil || time.Since(info.ModTime()) < time.Minute {
			continue // maybe a server another binary is starting now
		}
		pidFile, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
		if err == nil {
			first, _, _ := strings.Cut(string(pidFile), "\n")
			if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && syscall.Kill(pid, 0) == nil {
				continue
			}
		}
		_ = os.RemoveAll(dir)
	}
}

// findBinary looks for a PostgreSQL program in $PORTAL_TEST_PG_BIN when
// set, else on PATH, then where Debian and others install them.
func findBinary(name string) (string, error) {
	if dir := os.Getenv("PORTAL_TEST_PG_BIN"); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s is not in PORTAL_TEST_PG_BIN=%s", name, dir)
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		return "", fmt.Errorf("%s is not installed (Debian: apt-get install postgresql)", name)
	}
	sort.Strings(found)
	return found[len(found)-1], nil
}

// credential is the postgres system user's when running as root, nil
// otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New(`running as root and there is no "postgres" user to run initdb as`)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user: bad uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	// The server must not inherit a test's locale or PG* settings.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	return cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
