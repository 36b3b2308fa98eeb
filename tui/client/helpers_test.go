package client

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/tui/ui"
)

// testSession is a session as the server makes one, with a renderer of its
// own that draws no colour: any ESC byte in a view then came from data.
func testSession(t *testing.T) (ui.Session, context.CancelFunc, *atomic.Int32) {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var ended atomic.Int32
	return ui.Session{
		Context:    ctx,
		ID:         fmt.Sprintf("test-%p", &ended), // unique per session
		User:       "ann",
		RemoteAddr: "192.0.2.10:50000",
		Renderer:   r,
		End:        func() { ended.Add(1) },
	}, cancel, &ended
}

// harness drives a Model as Bubble Tea would, but in the test's goroutine:
// every command is run to completion and its message fed back, so after
// each step the model has settled.
type harness struct {
	t      *testing.T
	env    *portaltest.Env
	m      *Model
	cancel context.CancelFunc
	ended  *atomic.Int32
	quit   bool
}

func newHarness(t *testing.T, env *portaltest.Env, token string) *harness {
	t.Helper()
	sess, cancel, ended := testSession(t)
	h := &harness{t: t, env: env, m: New(env.Service, sess, token), cancel: cancel, ended: ended}
	h.run(h.m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return h
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 1000 {
			h.t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			h.quit = true
		case spinner.TickMsg:
			// A tick asks for the next one after a sleep: the spinner
			// would turn forever. Its drawing is tested on its own.
		default:
			_, next := h.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// press sends named keys, as Bubble Tea reports them.
func (h *harness) press(names ...string) {
	h.t.Helper()
	for _, n := range names {
		h.send(keyMsg(n))
	}
}

// typ types s one rune at a time.
func (h *harness) typ(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func (h *harness) paste(s string) {
	h.t.Helper()
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

// fill types each value into the field in turn, Enter after each: the
// last Enter submits.
func (h *harness) fill(values ...string) {
	h.t.Helper()
	for _, v := range values {
		h.typ(v)
		h.press("enter")
	}
}

func (h *harness) view() string { return h.m.View() }

func (h *harness) requireView(want ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range want {
		if !strings.Contains(v, w) {
			h.t.Fatalf("view lacks %q:\n%s", w, v)
		}
	}
}

func (h *harness) refuseView(bad ...string) {
	h.t.Helper()
	v := h.view()
	for _, b := range bad {
		if strings.Contains(v, b) {
			h.t.Fatalf("view has %q:\n%s", b, v)
		}
	}
}

func keyMsg(name string) tea.KeyMsg {
	types := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"esc": tea.KeyEsc, "up": tea.KeyUp, "down": tea.KeyDown,
		"backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC, "ctrl+r": tea.KeyCtrlR,
	}
	if t, ok := types[name]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

func signUpOn(t *testing.T, env *portaltest.Env, on bool) {
	t.Helper()
	if err := env.Service.SetSignUp(context.Background(), env.Admin(), on); err != nil {
		t.Fatal(err)
	}
}

// logIn takes a harness on the welcome screen to Home as the client.
func (h *harness) logIn(email string) {
	h.t.Helper()
	h.press("l")
	h.fill(email, portaltest.StrongPassword)
	if _, ok := h.m.cur.(*home); !ok {
		h.t.Fatalf("not home after log in:\n%s", h.view())
	}
}

// code is the newest code of that kind mailed to addr.
func code(t *testing.T, env *portaltest.Env, addr, kind string) string {
	t.Helper()
	return portaltest.CodeIn(t, env.LastMail(t, addr, kind).Body)
}

func inviteToken(t *testing.T, env *portaltest.Env, email, name string) string {
	t.Helper()
	if _, err := env.Service.AddClient(context.Background(), env.Admin(), portal.NewClient{Email: email, Name: name, Company: "Smith & Co"}); err != nil {
		t.Fatal(err)
	}
	return portaltest.TokenIn(t, env.LastMail(t, email, portal.MailInvitation).Body)
}

// within fails the test when fn does not return in d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}

// formOf gives tests the form of any form screen.
func (f *formScreen) formOf() *ui.Form { return f.form }
