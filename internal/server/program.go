package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/tui/ui"
)

// runProgram runs the model mk makes for the session until it quits, the
// session ends, or the server ends it, then writes why and sends the exit
// status. It reports false, having done nothing, when mk returns nil.
func (s *Server) runProgram(ls *liveSession, mk func(ui.Session) tea.Model) bool {
	sess := ls.sess
	model := mk(ls.uiSession())
	if model == nil {
		return false
	}
	keys := s.newKeyReader(sess, ls.ctx.Done(), func() {
		s.log.Warn("session input past its buffer, session ended", "session", ls.id,
			"remote", sess.RemoteAddr().String())
		ls.endWith(endInputFlood)
	})
	out := &writeClock{w: sess}
	ls.out = out
	safe := &safeModel{inner: model, ls: ls}
	// The emulated PTY's session is both input and output, as wish's
	// MakeOptions does: its Write turns "\n" into "\r\n".
	p := tea.NewProgram(safe,
		tea.WithInput(keys),
		tea.WithOutput(out),
		tea.WithAltScreen(),
		tea.WithContext(ls.ctx),
		tea.WithFilter(dropSuspend),
		// Signal handlers are the process's, not one session's.
		tea.WithoutSignalHandler(),
		// Without it each program copies the server's own environment.
		tea.WithEnvironment(sess.Environ()),
	)
	safe.kill = p.Kill

	stop := s.startTimers(ls, keys)
	defer stop()
	pty, _, _ := sess.Pty()
	go s.forwardWindows(ls.ctx, p, pty.Window, ls.windows)

	_, err := p.Run()
	stop()
	ls.cancel() // ends forwardWindows
	ls.release()

	switch {
	case safe.panicked.Load() || errors.Is(err, tea.ErrProgramPanic):
		s.log.Error("program panicked", "session", ls.id, "user", logUser(sess.User()), "err", err)
		fail(sess, s.p.T("server.internal_error"))
	case ls.endReason() != endNone:
		status := 1
		if ls.endReason() == endExternal {
			status = 0
		}
		if msg := ls.endMessage(); msg != "" {
			_, _ = fmt.Fprintln(sess.Stderr(), msg)
		}
		_ = sess.Exit(status)
	case err != nil:
		// The connection went away, or the program failed on its own.
		if sess.Context().Err() == nil {
			s.log.Warn("program ended with an error", "session", ls.id, "err", err)
		}
		_ = sess.Exit(1)
	default:
		_ = sess.Exit(0)
	}
	return true
}

// startTimers ends the session after IdleTimeout without a keystroke and
// after MaxSessionTime whatever happens, and closes its connection once its
// output has waited OutputTimeout for a client that does not read. Time
// spent waiting on the client counts as idle: a client that types but
// never reads is not using the session. Timers rather than a goroutine: an
// idle session then costs no goroutine until a timer fires.
func (s *Server) startTimers(ls *liveSession, keys *keyReader) (stop func()) {
	var mu sync.Mutex
	stopped := false
	var idle, output *time.Timer
	checkIdle := func() {
		defer s.recoverGoroutine("idle timer")
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		now := time.Now()
		quiet := max(now.Sub(keys.lastKey()), ls.blockedFor(now))
		if quiet >= s.cfg.IdleTimeout {
			ls.endWith(endIdle)
			return
		}
		idle.Reset(s.cfg.IdleTimeout - quiet)
	}
	checkOutput := func() {
		defer s.recoverGoroutine("output deadline")
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		blocked := ls.blockedFor(time.Now())
		if blocked >= s.cfg.OutputTimeout {
			s.log.Warn("session output blocked, connection closed", "session", ls.id,
				"remote", ls.sess.RemoteAddr().String(), "blocked", blocked.Round(time.Millisecond).String())
			ls.endWith(endOutputBlocked)
			// Nothing more reaches this client: ending the program would
			// only wait on the same output.
			ls.closeConn()
			return
		}
		output.Reset(s.cfg.OutputTimeout - blocked)
	}
	mu.Lock()
	idle = time.AfterFunc(s.cfg.IdleTimeout, checkIdle)
	output = time.AfterFunc(s.cfg.OutputTimeout, checkOutput)
	maxTime := time.AfterFunc(s.cfg.MaxSessionTime, func() {
		defer s.recoverGoroutine("session time limit")
		ls.endWith(endMaxTime)
	})
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		idle.Stop()
		output.Stop()
		maxTime.Stop()
	}
}

// A client may claim any size up to 2^32-1 each way; screens sized from it
// (padding to the width, a page of list rows per line of height) would
// then take the server's memory and time. No real terminal is larger.
const (
	maxWindowCols = 1024
	maxWindowRows = 512
)

// forwardWindows tells the program the terminal's size: first the size in
// the pty request, then the latest of the window changes the request loop
// took (see filterRequests), whenever the program can take one. Only this
// goroutine waits on the program, never the request loop, and sizes that
// came and went while it waited are never drawn.
func (s *Server) forwardWindows(ctx context.Context, p *tea.Program, initial ssh.Window, windows *windowState) {
	defer s.recoverGoroutine("window changes")
	cols, rows := initial.Width, initial.Height
	if c, r, ok := windows.get(); ok {
		cols, rows = c, r
	}
	p.Send(tea.WindowSizeMsg{Width: min(cols, maxWindowCols), Height: min(rows, maxWindowRows)})
	for {
		select {
		case <-ctx.Done():
			return
		case <-windows.changed:
			// Sent even when the size is the one drawn last: a change
			// tells the program the terminal may have reflowed (a window
			// made narrow and wide again between two wake-ups ends at
			// the same size), and Bubble Tea repaints on every size.
			c, r, _ := windows.get()
			p.Send(tea.WindowSizeMsg{Width: c, Height: r})
		}
	}
}

// dropSuspend keeps tea.SuspendMsg from reaching Bubble Tea, which would
// stop the whole server process with SIGTSTP.
func dropSuspend(_ tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(tea.SuspendMsg); ok {
		return nil
	}
	return msg
}

// writeClock is a writer that knows since when a write has been waiting:
// a session's output waits while the client's window is closed (it does
// not read) or its socket is full. Writes may overlap; the clock runs from
// the first of them until none is left.
type writeClock struct {
	w io.Writer

	mu      sync.Mutex
	writers int
	since   time.Time
}

func (c *writeClock) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.writers == 0 {
		c.since = time.Now()
	}
	c.writers++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.writers--
		c.mu.Unlock()
	}()
	return c.w.Write(p) //nolint:wrapcheck // a pass-through
}

// blockedFor is how long writes have been waiting at now, 0 when none is.
func (c *writeClock) blockedFor(now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writers == 0 {
		return 0
	}
	return now.Sub(c.since)
}

// keyReader is the program's input. A pump reads the channel continuously
// into at most maxBufferedInput bytes, so x/crypto never holds the 2 MiB a
// channel window lets a client send while the program is busy or waiting
// on its output; past that bound the session is ended. The program takes
// the buffered bytes at a paced rate (a token bucket of inputBurst bytes
// refilled at inputRate bytes a second), so a key flood, each key perhaps
// a portal call, cannot take a core; a bracketed paste's content costs a
// token per pasteBytesPerToken bytes, so one paste passes at once while
// pastes one after another are paced too.
//
// It also bounds what Bubble Tea's input loop buffers. That loop keeps
// unparsed input and reads more, without limit and re-scanning it all each
// time, while a bracketed paste has no end marker yet or while a read
// filled its whole buffer and ends in a run of letters. So reads never fill
// the caller's buffer and never cut an escape sequence in two, and a
// paste's content past maxPasteBytes is dropped, its end marker sent in its
// place. It remembers when the client last sent anything, so idleness is
// measured by keystrokes and not by what the server writes.
type keyReader struct {
	last     atomic.Int64
	done     <-chan struct{} // the session's end
	rate     float64         // tokens a second
	burst    float64
	overflow func() // called once when the buffer would pass its bound

	mu      sync.Mutex
	segs    []inputSeg // read from the client, not yet given to the program
	size    int        // bytes in segs
	err     error      // why the pump stopped; returned once segs is empty
	ready   chan struct{}
	tokens  float64
	refills time.Time

	// The pump's paste state: markers are matched across reads.
	inPaste bool
	pasted  int  // content bytes of the current paste passed on
	cut     bool // the current paste was cut: the rest of it is dropped
	start   int  // bytes of pasteStart matched so far
	end     int  // bytes of pasteEnd matched so far
}

// inputSeg is a run of input bytes; paste bytes are a bracketed paste's
// content, which costs a token per pasteBytesPerToken: a paste is one act
// of the person, not keys, yet pastes one after another are still paced.
type inputSeg struct {
	b     []byte
	paste bool
}

const (
	pasteStart = "\x1b[200~"
	pasteEnd   = "\x1b[201~"
	// maxPasteBytes is well above every field's character limit (16 KiB
	// at most), and leaves room in the input buffer for keys around it.
	maxPasteBytes = 48 << 10
	// maxBufferedInput is what a session's input may hold that the
	// program has not taken yet (SECURITY.md: 64 KiB).
	maxBufferedInput = 64 << 10
	// maxPastedInput is as far as paste content may fill that buffer; a
	// paste is cut where it would go further. Pastes one after another
	// while the program is still taking the first are thus cut short,
	// not taken for a flood that ends the session, and keys typed
	// meanwhile still have the rest of the buffer.
	maxPastedInput = maxBufferedInput - 8<<10
	// maxSequence is how far a read may overdraw the token bucket so as
	// not to cut an escape sequence in two.
	maxSequence = 32
	// DefaultInputRate and DefaultInputBurst pace a session's keys: far
	// above typing or a held key (a few hundred bytes a second), far below
	// what a machine sends.
	DefaultInputRate  = 4 << 10
	DefaultInputBurst = 8 << 10
	// pasteBytesPerToken makes the largest paste (48 KiB) cost 768
	// tokens, well inside the default burst, while back-to-back pastes
	// pass at most 64 times the key rate (256 KiB a second by default)
	// instead of as fast as a client sends them.
	pasteBytesPerToken = 64
)

// errInputFlood ends the program's input once the buffer overflowed.
var errInputFlood = errors.New("input past the session's buffer")

// newKeyReader starts the pump on r; it ends when r does, or at the
// overflow.
func (s *Server) newKeyReader(r io.Reader, done <-chan struct{}, overflow func()) *keyReader {
	k := &keyReader{
		done:     done,
		rate:     float64(s.cfg.InputRate),
		burst:    float64(s.cfg.InputBurst),
		overflow: overflow,
		ready:    make(chan struct{}, 1),
		tokens:   float64(s.cfg.InputBurst),
		refills:  time.Now(),
	}
	k.last.Store(time.Now().UnixNano())
	go func() {
		defer s.recoverGoroutine("session input")
		k.pump(r)
	}()
	return k
}

func (k *keyReader) pump(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			k.last.Store(time.Now().UnixNano())
			k.mu.Lock()
			k.capPastes(buf[:n])
			full := k.size > maxBufferedInput
			if full {
				k.segs, k.size, k.err = nil, 0, errInputFlood
			}
			k.mu.Unlock()
			k.wake()
			if full {
				k.overflow()
				// Go on reading, into nothing: stopping would let x/crypto
				// buffer a window's worth again until the connection closes.
				_, _ = io.Copy(io.Discard, r)
				return
			}
		}
		if err != nil {
			k.mu.Lock()
			k.err = err
			k.mu.Unlock()
			k.wake()
			return
		}
	}
}

func (k *keyReader) wake() {
	select {
	case k.ready <- struct{}{}:
	default:
	}
}

func (k *keyReader) Read(p []byte) (int, error) {
	for {
		k.mu.Lock()
		if len(k.segs) == 0 {
			err := k.err
			k.mu.Unlock()
			if err != nil {
				return 0, err //nolint:wrapcheck // io.EOF must reach Bubble Tea as is
			}
			select {
			case <-k.ready:
			case <-k.done:
				return 0, io.EOF
			}
			continue
		}
		seg := &k.segs[0]
		limit := len(p)
		if limit > 1 {
			limit-- // a full buffer makes Bubble Tea wait for more
		}
		perByte := 1.0
		if seg.paste {
			perByte = 1.0 / pasteBytesPerToken
		}
		now := time.Now()
		k.tokens = min(k.burst, k.tokens+now.Sub(k.refills).Seconds()*k.rate)
		k.refills = now
		if k.tokens < 1 {
			wait := time.Duration((1 - k.tokens) / k.rate * float64(time.Second))
			k.mu.Unlock()
			if !k.sleep(wait) {
				return 0, io.EOF
			}
			continue
		}
		limit = min(limit, int(k.tokens/perByte)+maxSequence)
		chunk := seg.b[:min(limit, len(seg.b))]
		if len(chunk) < k.size {
			// More follows at once: do not cut an escape sequence in two.
			if i := bytes.LastIndexByte(chunk, 0x1b); i > 0 && len(chunk)-i < maxSequence {
				chunk = chunk[:i]
			}
		}
		n := copy(p, chunk)
		k.tokens -= float64(n) * perByte
		if seg.b = seg.b[n:]; len(seg.b) == 0 {
			k.segs[0] = inputSeg{}
			k.segs = k.segs[1:]
		}
		k.size -= n
		k.mu.Unlock()
		return n, nil
	}
}

// sleep waits d, or reports false if the session ends first.
func (k *keyReader) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-k.done:
		return false
	}
}

// add appends c to the buffered input.
func (k *keyReader) add(c byte, paste bool) {
	if n := len(k.segs); n > 0 && k.segs[n-1].paste == paste {
		k.segs[n-1].b = append(k.segs[n-1].b, c)
	} else {
		k.segs = append(k.segs, inputSeg{b: []byte{c}, paste: paste})
	}
	k.size++
}

// capPastes buffers b, except paste content past maxPasteBytes or past
// maxPastedInput in the buffer.
func (k *keyReader) capPastes(b []byte) {
	for _, c := range b {
		if !k.inPaste {
			k.add(c, false)
			k.start = advance(pasteStart, k.start, c)
			if k.start == len(pasteStart) {
				k.inPaste, k.cut, k.pasted, k.start, k.end = true, false, 0, 0, 0
			}
			continue
		}
		k.end = advance(pasteEnd, k.end, c)
		done := k.end == len(pasteEnd)
		switch {
		case k.cut: // dropped, the real end marker too: the program has one
		case k.pasted < maxPasteBytes && k.size+1+len(pasteEnd) <= maxPastedInput:
			k.add(c, true)
			k.pasted++
		default: // cut here, with an end marker for the program
			for i := range len(pasteEnd) {
				k.add(pasteEnd[i], true)
			}
			k.cut = true
		}
		if done {
			k.inPaste = false
		}
	}
}

// advance is how much of marker is matched after c, having matched i; the
// markers' first byte occurs in them only once.
func advance(marker string, i int, c byte) int {
	switch {
	case c == marker[i]:
		return i + 1
	case c == marker[0]:
		return 1
	default:
		return 0
	}
}

func (k *keyReader) lastKey() time.Time { return time.Unix(0, k.last.Load()) }

// newRenderer makes the session's lipgloss renderer from its TERM and
// environment alone. Nothing asks the terminal anything (wish v1's
// MakeRenderer waits for a background-colour answer some terminals never
// send), so the first frame never waits.
func newRenderer(sess ssh.Session) *lipgloss.Renderer {
	pty, _, _ := sess.Pty()
	env := sess.Environ()
	profile := profileFromTERM(pty.Term, env)
	r := lipgloss.NewRenderer(sess,
		termenv.WithProfile(profile),
		termenv.WithEnvironment(environ(env)),
		termenv.WithUnsafe(),
	)
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true)
	return r
}

// profileFromTERM picks the colour profile a terminal declares.
func profileFromTERM(term string, env []string) termenv.Profile {
	e := environ(env)
	switch {
	case term == "" || term == "dumb" || e.Getenv("NO_COLOR") != "":
		return termenv.Ascii
	// COLORTERM is the more specific claim: terminals that set it to
	// truecolor usually also say xterm-256color.
	case e.Getenv("COLORTERM") == "truecolor" || e.Getenv("COLORTERM") == "24bit":
		return termenv.TrueColor
	case strings.HasSuffix(term, "256color"):
		return termenv.ANSI256
	default:
		return termenv.ANSI
	}
}

// environ is a session's environment as termenv reads one.
type environ []string

func (e environ) Environ() []string { return e }

func (e environ) Getenv(key string) string {
	// The last value wins, as a later "env" request overrides an earlier one.
	for i := len(e) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// safeModel keeps a panic in the model to its session: it is logged with its
// stack and the program is killed, which restores the terminal.
type safeModel struct {
	inner    tea.Model
	ls       *liveSession
	kill     func()
	panicked atomic.Bool
}

func (m *safeModel) Init() (cmd tea.Cmd) {
	defer m.recover("Init", func() { cmd = nil })
	return m.inner.Init()
}

func (m *safeModel) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	if m.panicked.Load() {
		return m, nil
	}
	defer m.recover("Update", func() { cmd = nil })
	inner, cmd := m.inner.Update(msg)
	if inner != nil {
		m.inner = inner
	}
	return m, cmd
}

func (m *safeModel) View() (view string) {
	if m.panicked.Load() {
		return ""
	}
	defer m.recover("View", func() { view = "" })
	return m.inner.View()
}

func (m *safeModel) recover(where string, reset func()) {
	r := recover()
	if r == nil {
		return
	}
	reset()
	m.panicked.Store(true)
	m.ls.s.log.Error("panic in session program", "session", m.ls.id, "in", where,
		"panic", r, "stack", string(debug.Stack()))
	if m.kill != nil {
		m.kill()
	}
}

// locale is the language the session's environment asks for, as POSIX
// reads it: LC_ALL, then LC_MESSAGES, then LANG ("" when none is sent;
// OpenSSH sends them when the client's ssh_config has SendEnv LANG LC_*).
func locale(env []string) string {
	e := environ(env)
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := e.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}
