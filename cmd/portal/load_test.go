package main

// BenchmarkLoad compares the portal with the floor (floor_test.go) under the
// load DESIGN.md's performance targets describe: N sessions ramped at R per
// second and all held open. Run it with
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime=1x ./cmd/portal/
//
// PORTAL_LOAD_BIN names a portal binary to measure instead of building one
// from the tree. PORTAL_LOAD_SESSIONS (default 500) and PORTAL_LOAD_RATE (default 100 per
// second) set the load; PORTAL_LOAD_SOURCES (default 1) spreads the client
// connections over that many loopback source addresses (127.0.0.1,
// 127.0.0.2, …). See BENCHMARKS.md for the figures.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

const (
	// firstFrameTimeout bounds connect→first frame; a session that takes
	// longer counts as a failure.
	firstFrameTimeout = 30 * time.Second
	// idleSettle is the wait after the last first frame before memory is read.
	idleSettle = 3 * time.Second
	// cpuWindow is the idle window over which CPU time is measured.
	cpuWindow = 10 * time.Second
	// closeSettle is the wait after closing every session before memory is
	// read again.
	closeSettle = 10 * time.Second
)

// Terminal queries a cooperative client answers, with the answers a dark
// xterm gives.
var terminalAnswers = []struct{ query, answer string }{
	{"\x1b]11;?", "\x1b]11;rgb:0000/0000/0000\x1b\\"}, // OSC 11: background colour
	{"\x1b[6n", "\x1b[1;1R"},                          // DSR: cursor position
	{"\x1b[c", "\x1b[?62;22c"},                        // DA1 (wish sends it after OSC 11 and waits for it)
}

func BenchmarkLoad(b *testing.B) {
	n := envInt(b, "PORTAL_LOAD_SESSIONS", 500)
	rate := envInt(b, "PORTAL_LOAD_RATE", 100)
	sources := envInt(b, "PORTAL_LOAD_SOURCES", 1)
	raiseNoFile(b, uint64(2*n+256))

	b.Run("floor/cooperative", func(b *testing.B) {
		fp := startFloor(b)
		runLoad(b, loadTarget{
			addr: fp.addr, pid: fp.cmd.Process.Pid, text: floorBanner,
			goroutines: fp.goroutines,
		}, loadParams{n: n, rate: rate, sources: sources, cooperative: true})
	})
	bin := os.Getenv("PORTAL_LOAD_BIN") // a portal binary built beforehand; empty: build it
	binDir := b.TempDir()               // the parent's: both portal runs use one build
	portal := func(cooperative bool) func(b *testing.B) {
		return func(b *testing.B) {
			if bin == "" {
				bin = buildPortalTB(b, binDir)
			}
			pp := startPortalProcess(b, bin)
			runLoad(b, loadTarget{addr: pp.addr, pid: pp.cmd.Process.Pid, text: "Welcome", warnings: pp.warnings},
				loadParams{n: n, rate: rate, sources: sources, cooperative: cooperative})
		}
	}
	b.Run("portal/cooperative", portal(true))
	b.Run("portal/silent", portal(false))
}

type loadTarget struct {
	addr       string
	pid        int
	text       string                 // in the first frame
	goroutines func() int             // nil when the server cannot say
	warnings   func() (int, []string) // the server's warnings and errors, nil if unknown
}

type loadParams struct {
	n, rate, sources int
	cooperative      bool
}

// loadSession is one client session held open.
type loadSession struct {
	client *gossh.Client
	ended  chan struct{} // closed when the session's output ends
}

type loadResult struct {
	latency time.Duration
	err     error
	sess    *loadSession
}

func runLoad(b *testing.B, tg loadTarget, p loadParams) {
	b.Helper()
	time.Sleep(time.Second) // let the server settle after its start
	g0 := -1
	if tg.goroutines != nil {
		g0 = tg.goroutines()
	}
	rss0 := readRSS(b, tg.pid)

	// Ramp: session i starts at i/rate seconds.
	results := make([]loadResult, p.n)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(p.rate)
	start := time.Now()
	b.ResetTimer()
	for i := range p.n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := net.IPv4(127, 0, byte(i%p.sources/250), byte(1+i%p.sources%250))
			s, lat, err := openLoadSession(tg.addr, src, tg.text, p.cooperative)
			results[i] = loadResult{latency: lat, err: err, sess: s}
		}()
	}
	wg.Wait()
	ramp := time.Since(start)

	var lats []time.Duration
	failures := map[string]int{}
	nFail := 0
	for _, r := range results {
		if r.err != nil {
			nFail++
			failures[classify(r.err)]++
			continue
		}
		lats = append(lats, r.latency)
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })

	// Idle: memory, then CPU over the window.
	time.Sleep(idleSettle)
	rssIdle := readRSS(b, tg.pid)
	gIdle := -1
	if tg.goroutines != nil {
		gIdle = tg.goroutines()
	}
	tick := clockTick()
	cpu0 := readCPUTicks(b, tg.pid)
	t0 := time.Now()
	time.Sleep(cpuWindow)
	cpu1 := readCPUTicks(b, tg.pid)
	window := time.Since(t0)

	// Sessions that ended while they were held are failures too.
	dropped := 0
	for _, r := range results {
		if r.sess == nil {
			continue
		}
		select {
		case <-r.sess.ended:
			dropped++
		default:
		}
	}
	if dropped > 0 {
		failures["dropped while held"] += dropped
		nFail += dropped
	}
	held := len(lats) - dropped

	for _, r := range results {
		if r.sess != nil {
			_ = r.sess.client.Close()
		}
	}
	time.Sleep(closeSettle)
	rssAfter := readRSS(b, tg.pid)
	gAfter := -1
	if tg.goroutines != nil {
		gAfter = tg.goroutines()
	}
	b.StopTimer()

	b.ReportMetric(pct(lats, 0.50), "p50-ms")
	b.ReportMetric(pct(lats, 0.99), "p99-ms")
	b.ReportMetric(pct(lats, 1), "max-ms")
	b.ReportMetric(float64(nFail), "failures")
	b.ReportMetric(float64(rssIdle-rss0)/float64(p.n), "KiB/session")
	// CPU ms per second of the window, per 1000 held sessions.
	cpuMs := float64(cpu1-cpu0) * 1000 / float64(tick)
	perK := 0.0
	if held > 0 {
		perK = cpuMs / window.Seconds() * 1000 / float64(held)
	}
	b.ReportMetric(perK, "idle-cpu-ms/s/1000")
	b.ReportMetric(float64(rssAfter-rss0), "rss-after-KiB")
	if g0 >= 0 && gIdle >= 0 {
		b.ReportMetric(float64(gIdle-g0)/float64(p.n), "goroutines/session")
		b.ReportMetric(float64(gAfter-g0), "goroutines-after")
	}
	b.Logf("%d sessions at %d/s from %d source address(es), %s terminal: ramp took %s; "+
		"RSS before %d KiB, idle %d KiB, after close %d KiB; idle CPU %.0f ms over %s (CLK_TCK %d); "+
		"goroutines before %d, idle %d, after %d; failures %v",
		p.n, p.rate, p.sources, map[bool]string{true: "cooperative", false: "silent"}[p.cooperative],
		ramp.Round(time.Millisecond), rss0, rssIdle, rssAfter, cpuMs, window.Round(time.Millisecond), tick,
		g0, gIdle, gAfter, failures)
	if tg.warnings != nil {
		if n, w := tg.warnings(); n > 0 {
			b.Logf("server warnings and errors: %d, first: %s", n, strings.Join(w[:min(len(w), 3)], " | "))
		}
	}
}

// openLoadSession dials as "loadtest" (keyboard-interactive, no questions)
// from src, asks for an xterm-256color 80x24 PTY and a shell, and waits until
// text appears in the output. The latency runs from before the dial to the
// read that completes text.
func openLoadSession(addr string, src net.IP, text string, cooperative bool) (*loadSession, time.Duration, error) {
	start := time.Now()
	d := net.Dialer{Timeout: firstFrameTimeout, LocalAddr: &net.TCPAddr{IP: src}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, 0, fmt.Errorf("dial: %w", err)
	}
	// The deadline bounds everything up to the first frame.
	_ = conn.SetDeadline(start.Add(firstFrameTimeout))
	cc, chans, reqs, err := gossh.NewClientConn(conn, addr, &gossh.ClientConfig{
		User:            "loadtest",
		Auth:            []gossh.AuthMethod{noQuestions()},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		_ = conn.Close()
		return nil, 0, fmt.Errorf("handshake: %w", err)
	}
	client := gossh.NewClient(cc, chans, reqs)
	fail := func(stage string, err error) (*loadSession, time.Duration, error) {
		_ = client.Close()
		return nil, 0, fmt.Errorf("%s: %w", stage, err)
	}
	s, err := client.NewSession()
	if err != nil {
		return fail("session", err)
	}
	if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		return fail("pty", err)
	}
	stdin, err := s.StdinPipe()
	if err != nil {
		return fail("stdin", err)
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		return fail("stdout", err)
	}
	s.Stderr = io.Discard
	if err := s.Shell(); err != nil {
		return fail("shell", err)
	}
	ls := &loadSession{client: client, ended: make(chan struct{})}
	found := make(chan time.Duration, 1)
	go func() {
		defer close(ls.ended)
		var raw []byte
		answered := make([]int, len(terminalAnswers))
		buf := make([]byte, 4096)
		for {
			k, err := stdout.Read(buf)
			raw = append(raw, buf[:k]...)
			if cooperative {
				for i, qa := range terminalAnswers {
					for c := bytes.Count(raw, []byte(qa.query)); answered[i] < c; answered[i]++ {
						_, _ = io.WriteString(stdin, qa.answer)
					}
				}
			}
			if strings.Contains(ansi.Strip(string(raw)), text) {
				found <- time.Since(start)
				break
			}
			if err != nil {
				return
			}
		}
		// Held open: read and drop whatever the server draws.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case lat := <-found:
		_ = conn.SetDeadline(time.Time{})
		return ls, lat, nil
	case <-ls.ended:
		// The output ended (or the deadline closed the connection) first;
		// the reader may have found the text in its last read.
		select {
		case lat := <-found:
			return fail("first frame", fmt.Errorf("session ended right after it (%s)", lat))
		default:
		}
		if time.Since(start) >= firstFrameTimeout-time.Second {
			return fail("first frame", fmt.Errorf("timeout after %s", firstFrameTimeout))
		}
		return fail("first frame", io.ErrUnexpectedEOF)
	}
}

// classify groups an error for the failure summary.
func classify(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i > 0 {
		rest := s[i+2:]
		switch {
		case strings.Contains(rest, "timeout"), strings.Contains(rest, "deadline"):
			return s[:i] + ": timeout"
		case strings.Contains(rest, "reset"), strings.Contains(rest, "EOF"), strings.Contains(rest, "closed"):
			return s[:i] + ": closed by server"
		case strings.Contains(rest, "refused"):
			return s[:i] + ": refused"
		}
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// pct is the p-th quantile (nearest rank) in milliseconds.
func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// raiseNoFile lifts the soft open-file limit to at least want (up to the
// hard limit); the server children inherit it.
func raiseNoFile(tb testing.TB, want uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	if lim.Cur >= want {
		return
	}
	lim.Cur = min(max(want, lim.Cur), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	if lim.Cur < want {
		tb.Logf("open-file limit %d is below the %d this load needs", lim.Cur, want)
	}
}

// readRSS is the process's VmRSS in KiB.
func readRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// readCPUTicks is the process's utime+stime in clock ticks.
func readCPUTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(raw)
	// Fields after the command name in parentheses: state is field 3, utime
	// field 14, stime field 15.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return u + st
}

// clockTick is CLK_TCK from getconf, or 100 (Linux's usual value) when
// getconf is missing.
func clockTick() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// buildPortalTB is buildPortal for benchmarks.
func buildPortalTB(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "portal")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type portalProcess struct {
	cmd  *exec.Cmd
	addr string

	mu    sync.Mutex
	warns []string
	nWarn atomic.Int64
}

func (pp *portalProcess) warnings() (int, []string) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return int(pp.nWarn.Load()), append([]string(nil), pp.warns...)
}

// startPortalProcess runs `portal serve` as its own process with no
// per-address session limit and fresh data and host key directories, and
// reads its address from its log (runBinary for benchmarks). It keeps
// reading the log, so logging never blocks the server, and keeps its
// warnings and errors.
func startPortalProcess(tb testing.TB, bin string) *portalProcess {
	tb.Helper()
	root := tb.TempDir()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--max-sessions-per-address", "0",
		"--data", filepath.Join(root, "data"), "--host-keys", filepath.Join(root, "hostkeys"))
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pp := &portalProcess{cmd: cmd}
	addrRe := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if m := addrRe.FindStringSubmatch(l); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if strings.Contains(l, "WARN") || strings.Contains(l, "ERRO") {
				pp.nWarn.Add(1)
				pp.mu.Lock()
				if len(pp.warns) < 1000 {
					pp.warns = append(pp.warns, l)
				}
				pp.mu.Unlock()
			}
		}
	}()
	select {
	case pp.addr = <-found:
	case <-time.After(30 * time.Second):
		tb.Fatal("portal did not report its address")
	}
	return pp
}
