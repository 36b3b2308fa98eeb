package admin

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/ui"
)

// fixedNow is the clock of every test portal, so that times in views are
// the same on every run.
var fixedNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func newEnv(t *testing.T) *portaltest.Env {
	t.Helper()
	return portaltest.New(t, portal.WithClock(func() time.Time { return fixedNow }))
}

// Actors of the tests: an admin (as the server makes one from a key) and a
// support member.
var (
	adminActor   = portal.Actor{Kind: store.ActorStaff, Name: "ann", Role: store.RoleAdmin, RemoteAddr: "192.0.2.1:4000"}
	supportActor = portal.Actor{Kind: store.ActorStaff, Name: "sam", Role: store.RoleSupport, RemoteAddr: "192.0.2.2:4000"}
)

// testSession is a session with its own renderer that draws no colour: any
// ESC byte in a view then came from data.
func testSession(t *testing.T) ui.Session {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var n atomic.Int32
	return ui.Session{Context: ctx, ID: fmt.Sprintf("test-%p", &n), User: "portal-admin",
		RemoteAddr: "192.0.2.1:4000", Renderer: r, End: func() { n.Add(1) }}
}

// harness drives the console as Bubble Tea would, in the test's goroutine:
// every command runs to completion and its message is fed back.
type harness struct {
	t    *testing.T
	env  *portaltest.Env
	m    *Model
	quit bool
	// hold keeps messages of these types instead of delivering them, so a
	// test can deliver them late.
	hold func(tea.Msg) bool
	held []tea.Msg
}

func newHarness(t *testing.T, env *portaltest.Env, a portal.Actor) *harness {
	t.Helper()
	h := &harness{t: t, env: env, m: newModel(env.Service, testSession(t), a)}
	h.run(h.m.Init())
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
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
		if steps > 10000 {
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
		case outboxTickMsg:
			// The refresh would tick forever; it is tested on its own.
		default:
			if h.hold != nil && h.hold(msg) {
				h.held = append(h.held, msg)
				continue
			}
			_, next := h.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func (h *harness) press(names ...string) {
	h.t.Helper()
	for _, n := range names {
		h.send(keyMsg(n))
	}
}

func (h *harness) typ(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

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
		"esc": tea.KeyEsc, "up": tea.KeyUp, "down": tea.KeyDown, "end": tea.KeyEnd, "home": tea.KeyHome,
		"backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC, "ctrl+t": tea.KeyCtrlT,
	}
	if t, ok := types[name]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// addClients adds invited clients through the portal.
func addClients(t *testing.T, env *portaltest.Env, people ...[3]string) {
	t.Helper()
	for _, p := range people {
		if _, err := env.Service.AddClient(context.Background(), env.Admin(), portal.NewClient{Email: p[0], Name: p[1], Company: p[2]}); err != nil {
			t.Fatal(err)
		}
	}
}

// client reads a client from the store.
func client(t *testing.T, env *portaltest.Env, email string) *store.Client {
	t.Helper()
	c, err := env.Store.ClientByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// awaiting makes a client waiting for approval, straight in the store.
func awaiting(t *testing.T, env *portaltest.Env, email, name string) {
	t.Helper()
	c := &store.Client{Email: email, EmailNorm: email, Name: name, NameNorm: strings.ToLower(name),
		Status: store.StatusAwaiting, Lang: "en", CreatedAt: fixedNow, UpdatedAt: fixedNow}
	if err := env.Store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func teaSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
