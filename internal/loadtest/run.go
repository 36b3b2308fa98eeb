// Package loadtest loads an SSH TUI server the way DESIGN.md's performance
// targets describe: N sessions, each with a PTY, ramped at a set rate from
// one or more loopback source addresses and held open, then a burst of
// scripted log ins. It measures each session's handshake, first byte and
// first frame, the server's memory, goroutines and CPU time while the
// sessions are held and after they close, and reports them as a table and
// one JSON line. It only ever connects to loopback addresses: it is a
// benchmark of servers it starts itself, not a tool to aim at others.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server is a server process under load, on this machine.
type Server struct {
	Name       string // "floor", "portal"
	Addr       string // its SSH address, a loopback host:port
	PID        int    // for its RSS and CPU time in /proc
	Pprof      string // its profiler's loopback host:port; empty: no goroutine or heap figures
	FirstFrame string // text of its first frame
}

// Login is one scripted log in: the keys that open the log in form, then
// the email and password, then the text the home screen shows.
type Login struct {
	Open     string // keys typed on the first frame to reach the form
	Form     string // text of the form
	Email    string
	Password string
	Home     string // text that shows the log in worked
}

// Options set the load.
type Options struct {
	Sessions int // held sessions
	Rate     int // new sessions per second during the ramp
	Sources  int // loopback source addresses the sessions come from
	// Silent makes every terminal silent: it never answers a query (a
	// cooperative one answers background colour, cursor position and
	// device attributes).
	Silent bool
	User   string // SSH user name of the held sessions

	FirstFrameTimeout time.Duration // a session slower than this fails
	Settle            time.Duration // wait after the ramp before reading memory
	CPUWindow         time.Duration // idle window for CPU time
	CloseSettle       time.Duration // wait after closing before reading memory again

	// ProfileDir, when set, receives the server's heap profiles (after a
	// collection) before the ramp, while the sessions are held and after
	// they close, its goroutine profile after they close, and a CPU
	// profile of the first 3 s of the log ins, named
	// SERVER-TERMINAL-{before,idle,after,after2}.heap, …-after.goroutine
	// and …-logins.cpu, for go tool pprof (-base).
	ProfileDir string

	// Logins run all at once while the sessions are held, each from its
	// own loopback address (the portal limits log ins per address).
	Logins []Login
}

func (o *Options) defaults() {
	if o.Sessions <= 0 {
		o.Sessions = 500
	}
	if o.Rate <= 0 {
		o.Rate = 100
	}
	if o.Sources <= 0 {
		o.Sources = 1
	}
	if o.User == "" {
		o.User = "loadtest"
	}
	if o.FirstFrameTimeout <= 0 {
		o.FirstFrameTimeout = 30 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 3 * time.Second
	}
	if o.CPUWindow <= 0 {
		o.CPUWindow = 10 * time.Second
	}
	if o.CloseSettle <= 0 {
		o.CloseSettle = 10 * time.Second
	}
}

// Result is what one run measured. Times are in milliseconds, memory in
// KiB; -1 means not measured.
type Result struct {
	Server   string `json:"server"`
	Terminal string `json:"terminal"`
	Sessions int    `json:"sessions"`
	Rate     int    `json:"rate"`
	Sources  int    `json:"sources"`

	Handshake  Quantiles `json:"handshake_ms"`
	FirstByte  Quantiles `json:"first_byte_ms"`
	FirstFrame Quantiles `json:"first_frame_ms"`
	Login      Quantiles `json:"login_ms"`
	Logins     int       `json:"logins"`
	// LoginPageFaults is the server's minor page faults per log in.
	LoginPageFaults float64 `json:"login_page_faults"`
	// LoginCPU is the server's CPU time per log in, in ms: connecting,
	// the form, hashing and the home screen.
	LoginCPU float64 `json:"login_cpu_ms"`
	// LoginClientCPU is this load client's own CPU time per log in, in
	// ms: on the same machine it competes with the server for the cores.
	LoginClientCPU float64 `json:"login_client_cpu_ms"`

	Failures     int            `json:"failures"`
	FailureKinds map[string]int `json:"failure_kinds,omitempty"`
	RampSeconds  float64        `json:"ramp_s"`

	RSSBefore     int64   `json:"rss_before_kib"`
	RSSIdle       int64   `json:"rss_idle_kib"`
	RSSLoginPeak  int64   `json:"rss_login_peak_kib"`
	RSSAfter      int64   `json:"rss_after_kib"`
	KiBPerSession float64 `json:"kib_per_session"`

	GoroutinesBefore     int     `json:"goroutines_before"`
	GoroutinesIdle       int     `json:"goroutines_idle"`
	GoroutinesAfter      int     `json:"goroutines_after"`
	GoroutinesPerSession float64 `json:"goroutines_per_session"`
	// Go memory: live heap and goroutine stacks, after a collection.
	GoMemBefore     int64   `json:"go_mem_before_kib"`
	GoMemIdle       int64   `json:"go_mem_idle_kib"`
	GoMemAfter      int64   `json:"go_mem_after_kib"`
	GoKiBPerSession float64 `json:"go_kib_per_session"`
	// After a second round of as many sessions, opened and closed.
	GoMemAfter2      int64 `json:"go_mem_after_second_round_kib"`
	GoroutinesAfter2 int   `json:"goroutines_after_second_round"`

	// IdleCPU is CPU time per second of the idle window per 1,000 held
	// sessions, in ms.
	IdleCPU float64 `json:"idle_cpu_ms_per_s_per_1000"`
}

// Quantiles of a set of durations, in milliseconds (nearest rank).
type Quantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func quantiles(ds []time.Duration) Quantiles {
	if len(ds) == 0 {
		return Quantiles{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1
		i = max(0, min(i, len(s)-1))
		return float64(s[i].Microseconds()) / 1000
	}
	return Quantiles{N: len(s), P50: at(0.50), P99: at(0.99), Max: at(1)}
}

// CheckLoopback refuses an address that is not a loopback host:port.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address: the load test only connects to servers on this machine", addr)
	}
	return nil
}

// Run loads srv as opt says and measures it. It fails only when the server
// cannot be measured at all; sessions that fail are counted in the result.
func Run(ctx context.Context, srv Server, opt Options) (Result, error) {
	opt.defaults()
	if err := CheckLoopback(srv.Addr); err != nil {
		return Result{}, err
	}
	if srv.Pprof != "" {
		if err := CheckLoopback(srv.Pprof); err != nil {
			return Result{}, err
		}
	}
	res := Result{
		Server: srv.Name, Terminal: "cooperative", Sessions: opt.Sessions, Rate: opt.Rate, Sources: opt.Sources,
		RSSLoginPeak: -1, GoroutinesBefore: -1, GoroutinesIdle: -1, GoroutinesAfter: -1, GoroutinesPerSession: -1,
		GoMemBefore: -1, GoMemIdle: -1, GoMemAfter: -1, GoKiBPerSession: -1, GoMemAfter2: -1, GoroutinesAfter2: -1, FailureKinds: map[string]int{},
	}
	if opt.Silent {
		res.Terminal = "silent"
	}
	var prof *profiler
	if srv.Pprof != "" {
		prof = newProfiler(srv.Pprof)
	}
	// sample reads the server's goroutines and Go memory; a failure to read
	// them leaves -1 rather than stopping the run.
	sample := func(g *int, mem *int64, phase string) {
		if prof == nil {
			return
		}
		if opt.ProfileDir != "" {
			name := filepath.Join(opt.ProfileDir, srv.Name+"-"+res.Terminal+"-"+phase)
			_ = prof.save(ctx, "/debug/pprof/heap?gc=1", name+".heap")
			if phase == "after" {
				_ = prof.save(ctx, "/debug/pprof/goroutine", name+".goroutine")
			}
		}
		if n, err := prof.goroutines(ctx); err == nil {
			*g = n
		}
		if n, err := prof.goMemory(ctx); err == nil {
			*mem = n
		}
	}
	// Warm up: a few sessions opened and closed first, so that what a
	// server makes once, on its first session, is in the baseline and not
	// counted against every session.
	for i := range min(10, opt.Sessions) {
		if s, _, err := dialSession(ctx, srv.Addr, source(0, i%opt.Sources), opt.User, srv.FirstFrame, !opt.Silent, opt.FirstFrameTimeout); err == nil {
			s.close()
		}
	}
	if err := sleep(ctx, opt.Settle); err != nil {
		return Result{}, err
	}
	var err error
	if res.RSSBefore, err = rss(srv.PID); err != nil {
		return res, err
	}
	sample(&res.GoroutinesBefore, &res.GoMemBefore, "before")

	start := time.Now()
	results := ramp(ctx, srv, opt)
	res.RampSeconds = time.Since(start).Seconds()
	defer func() {
		for _, r := range results {
			if r.s != nil {
				r.s.close()
			}
		}
	}()
	var hs, fb, ff []time.Duration
	for _, r := range results {
		if r.err != nil {
			res.Failures++
			res.FailureKinds[classify(r.err)]++
			continue
		}
		hs, fb, ff = append(hs, r.tm.handshake), append(fb, r.tm.firstByte), append(ff, r.tm.firstFrame)
	}
	res.Handshake, res.FirstByte, res.FirstFrame = quantiles(hs), quantiles(fb), quantiles(ff)

	// Idle: memory, goroutines, then CPU time over the window.
	if err := sleep(ctx, opt.Settle); err != nil {
		return res, err
	}
	if res.RSSIdle, err = rss(srv.PID); err != nil {
		return res, err
	}
	sample(&res.GoroutinesIdle, &res.GoMemIdle, "idle")
	tick := clockTick()
	cpu0, err := cpuTicks(srv.PID)
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := sleep(ctx, opt.CPUWindow); err != nil {
		return res, err
	}
	cpu1, err := cpuTicks(srv.PID)
	if err != nil {
		return res, err
	}
	window := time.Since(t0)

	if len(opt.Logins) > 0 {
		cpuProfiled := make(chan struct{})
		if prof != nil && opt.ProfileDir != "" {
			// The log ins are where the CPU goes: a profile of their first
			// seconds shows where.
			go func() {
				defer close(cpuProfiled)
				_ = prof.save(ctx, "/debug/pprof/profile?seconds=3", filepath.Join(opt.ProfileDir, srv.Name+"-"+res.Terminal+"-logins.cpu"))
			}()
		} else {
			close(cpuProfiled)
		}
		f0, _ := minorFaults(srv.PID)
		c0, _ := cpuTicks(srv.PID)
		own0 := ownCPU()
		lat, peak, fails := runLogins(ctx, srv, opt)
		res.LoginClientCPU = (ownCPU() - own0).Seconds() * 1000 / float64(len(opt.Logins))
		if f1, err := minorFaults(srv.PID); err == nil {
			res.LoginPageFaults = float64(f1-f0) / float64(len(opt.Logins))
		}
		if c1, err := cpuTicks(srv.PID); err == nil {
			res.LoginCPU = float64(c1-c0) * 1000 / float64(tick) / float64(len(opt.Logins))
		}
		<-cpuProfiled
		res.Logins = len(opt.Logins)
		res.Login = quantiles(lat)
		res.RSSLoginPeak = peak
		for k, n := range fails {
			res.Failures += n
			res.FailureKinds[k] += n
		}
	}

	// Sessions that ended while they were held are failures too.
	held := 0
	for _, r := range results {
		if r.s == nil {
			continue
		}
		if r.s.isEnded() {
			res.Failures++
			res.FailureKinds["ended while held"]++
			continue
		}
		held++
	}
	for i, r := range results {
		if r.s != nil {
			r.s.close()
			results[i].s = nil
		}
	}
	if err := sleep(ctx, opt.CloseSettle); err != nil {
		return res, err
	}
	if res.RSSAfter, err = rss(srv.PID); err != nil {
		return res, err
	}
	sample(&res.GoroutinesAfter, &res.GoMemAfter, "after")

	// A second round on the same server: what the first left behind may be
	// caches and tables sized by the peak, which the second reuses; what
	// is left per session grows again.
	for _, r := range ramp(ctx, srv, opt) {
		if r.err != nil {
			res.Failures++
			res.FailureKinds["second round: "+classify(r.err)]++
		} else {
			r.s.close()
		}
	}
	if err := sleep(ctx, opt.CloseSettle); err != nil {
		return res, err
	}
	sample(&res.GoroutinesAfter2, &res.GoMemAfter2, "after2")

	res.KiBPerSession = float64(res.RSSIdle-res.RSSBefore) / float64(opt.Sessions)
	if res.GoMemBefore >= 0 && res.GoMemIdle >= 0 {
		res.GoKiBPerSession = float64(res.GoMemIdle-res.GoMemBefore) / float64(opt.Sessions)
	}
	if res.GoroutinesBefore >= 0 && res.GoroutinesIdle >= 0 {
		res.GoroutinesPerSession = float64(res.GoroutinesIdle-res.GoroutinesBefore) / float64(opt.Sessions)
	}
	if held > 0 {
		cpuMs := float64(cpu1-cpu0) * 1000 / float64(tick)
		res.IdleCPU = cpuMs / window.Seconds() * 1000 / float64(held)
	}
	if len(res.FailureKinds) == 0 {
		res.FailureKinds = nil
	}
	return res, nil
}

type opened struct {
	s   *session
	tm  timings
	err error
}

// ramp opens opt.Sessions sessions, session i at i/opt.Rate seconds, and
// returns them once each has shown its first frame or failed.
func ramp(ctx context.Context, srv Server, opt Options) []opened {
	results := make([]opened, opt.Sessions)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(opt.Rate)
	start := time.Now()
	for i := range opt.Sessions {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			results[i].err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, tm, err := dialSession(ctx, srv.Addr, source(0, i%opt.Sources), opt.User, srv.FirstFrame, !opt.Silent, opt.FirstFrameTimeout)
			results[i] = opened{s, tm, err}
		}()
	}
	wg.Wait()
	return results
}

// runLogins opens one session per login at once, each from its own source
// address, and times each from the Enter that sends the password to the
// home screen. It samples the server's RSS meanwhile for the peak.
func runLogins(ctx context.Context, srv Server, opt Options) ([]time.Duration, int64, map[string]int) {
	stop := make(chan struct{})
	peakc := make(chan int64, 1)
	go func() {
		var peak int64 = -1
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if n, err := rss(srv.PID); err == nil && n > peak {
				peak = n
			}
			select {
			case <-stop:
				peakc <- peak
				return
			case <-t.C:
			}
		}
	}()
	var (
		mu    sync.Mutex
		lat   []time.Duration
		fails = map[string]int{}
		wg    sync.WaitGroup
	)
	for i, l := range opt.Logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := logIn(ctx, srv, source(100+i/250, i%250), l, !opt.Silent, opt.FirstFrameTimeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails["log in: "+classify(err)]++
				return
			}
			lat = append(lat, d)
		}()
	}
	wg.Wait()
	close(stop)
	return lat, <-peakc, fails
}

// logIn runs one scripted log in and returns the time from the Enter that
// sends the password to the home screen.
func logIn(ctx context.Context, srv Server, src net.IP, l Login, cooperative bool, timeout time.Duration) (time.Duration, error) {
	s, _, err := dialSession(ctx, srv.Addr, src, "loadtest", srv.FirstFrame, cooperative, timeout)
	if err != nil {
		return 0, err
	}
	defer s.close()
	deadline := time.Now().Add(timeout)
	s.mark()
	if err := s.send(l.Open); err != nil {
		return 0, fmt.Errorf("open form: %w", err)
	}
	if err := s.waitFor(l.Form, deadline); err != nil {
		return 0, fmt.Errorf("open form: %w", err)
	}
	// Typed as a person types a field and Enter; the form reads the
	// password field only once focus has moved to it.
	if err := s.send(l.Email + "\r"); err != nil {
		return 0, fmt.Errorf("email: %w", err)
	}
	if err := sleep(ctx, 50*time.Millisecond); err != nil {
		return 0, err
	}
	s.mark()
	if err := s.send(l.Password); err != nil {
		return 0, fmt.Errorf("password: %w", err)
	}
	if err := sleep(ctx, 50*time.Millisecond); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := s.send("\r"); err != nil {
		return 0, fmt.Errorf("enter: %w", err)
	}
	if err := s.waitFor(l.Home, deadline); err != nil {
		return 0, fmt.Errorf("home: %w", err)
	}
	return time.Since(start), nil
}

// source is the loopback address 127.0.B.(1+N), spreading clients over
// addresses as real ones come from many.
func source(block, n int) net.IP {
	return net.IPv4(127, 0, byte(block+n/250), byte(1+n%250))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// classify groups an error for the failure summary: the stage, and what
// went wrong in a few words.
func classify(err error) string {
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	s := err.Error()
	i := strings.Index(s, ": ")
	if i < 0 {
		return s[:min(len(s), 60)]
	}
	stage, rest := s[:i], s[i+2:]
	switch {
	case strings.Contains(rest, "timeout"), strings.Contains(rest, "deadline"):
		return stage + ": timeout"
	case strings.Contains(rest, "reset"), strings.Contains(rest, "EOF"), strings.Contains(rest, "closed"):
		return stage + ": closed by server"
	case strings.Contains(rest, "refused"):
		return stage + ": refused"
	}
	return stage + ": " + rest[:min(len(rest), 60)]
}
