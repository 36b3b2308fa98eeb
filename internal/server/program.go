package server

import (
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
	keys := newKeyReader(sess)
	safe := &safeModel{inner: model, ls: ls}
	// The emulated PTY's session is both input and output, as wish's
	// MakeOptions does: its Write turns "\n" into "\r\n".
	p := tea.NewProgram(safe,
		tea.WithInput(keys),
		tea.WithOutput(sess),
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
	_, windows, _ := sess.Pty()
	go s.forwardWindows(ls.ctx, p, windows)

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
// after MaxSessionTime whatever happens. Timers rather than a goroutine: an
// idle session then costs no goroutine until a timer fires.
func (s *Server) startTimers(ls *liveSession, keys *keyReader) (stop func()) {
	var mu sync.Mutex
	stopped := false
	var idle *time.Timer
	check := func() {
		defer s.recoverGoroutine("idle timer")
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		quiet := time.Since(keys.lastKey())
		if quiet >= s.cfg.IdleTimeout {
			ls.endWith(endIdle)
			return
		}
		idle.Reset(s.cfg.IdleTimeout - quiet)
	}
	mu.Lock()
	idle = time.AfterFunc(s.cfg.IdleTimeout, check)
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
		maxTime.Stop()
	}
}

// forwardWindows tells the program the terminal's size: first the size in
// the pty request (the library queues it), then every change.
func (s *Server) forwardWindows(ctx context.Context, p *tea.Program, windows <-chan ssh.Window) {
	defer s.recoverGoroutine("window changes")
	for {
		select {
		case <-ctx.Done():
			return
		case w, ok := <-windows:
			if !ok {
				return
			}
			p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
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

// keyReader is the program's input: it remembers when the client last sent
// anything, so idleness is measured by keystrokes and not by what the server
// writes.
type keyReader struct {
	r    io.Reader
	last atomic.Int64
}

func newKeyReader(r io.Reader) *keyReader {
	k := &keyReader{r: r}
	k.last.Store(time.Now().UnixNano())
	return k
}

func (k *keyReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 {
		k.last.Store(time.Now().UnixNano())
	}
	return n, err //nolint:wrapcheck // io.EOF must reach Bubble Tea as is
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
