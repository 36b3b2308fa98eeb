package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clientportal/portal/internal/loadtest"
	"github.com/clientportal/portal/internal/text"
)

// process is a server started for a run.
type process struct {
	loadtest.Server
	cmd *exec.Cmd

	mu    sync.Mutex
	nWarn int
	warns []string
}

var (
	addrWord  = regexp.MustCompile(`\baddr=(127\.0\.0\.1:\d+)`)
	pprofWord = regexp.MustCompile(`\bpprof=(127\.0\.0\.1:\d+)`)
)

// startServer starts cmd and reads its SSH and profiler addresses from the
// addr= and pprof= words of its log (stderr). It keeps reading the log, so
// logging never blocks the server, and keeps the first warnings.
func startServer(ctx context.Context, name string, cmd *exec.Cmd) (*process, error) {
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	// Killed with this process, even when it is killed itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{Server: loadtest.Server{Name: name, PID: cmd.Process.Pid}, cmd: cmd}
	ready := make(chan struct{})
	var log []string // until ready, to say why a start failed
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			// Shown on this terminal: a server's log may quote what its
			// clients sent.
			l := text.Sanitize(sc.Text())
			p.mu.Lock()
			if p.Addr == "" || p.Pprof == "" {
				if m := addrWord.FindStringSubmatch(l); m != nil {
					p.Addr = m[1]
				}
				if m := pprofWord.FindStringSubmatch(l); m != nil {
					p.Pprof = m[1]
				}
				log = append(log, l)
				if p.Addr != "" && p.Pprof != "" {
					close(ready)
				}
			}
			if strings.Contains(l, "WARN") || strings.Contains(l, "ERRO") {
				p.nWarn++
				if len(p.warns) < 3 {
					p.warns = append(p.warns, l)
				}
			}
			p.mu.Unlock()
		}
	}()
	select {
	case <-ready:
		return p, nil
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	return nil, fmt.Errorf("%s did not report its addresses; its log:\n%s", name, strings.Join(log, "\n"))
}

func (p *process) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

func (p *process) warnings() (int, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nWarn, append([]string(nil), p.warns...)
}
