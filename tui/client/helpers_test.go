package client

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
	"github.com/clientportal/portal/tui/uitest"
)

// harness drives a Model through uitest.Driver, with what the client
// tests look at besides: the portal and the session's end count.
type harness struct {
	*uitest.Driver
	t      *testing.T
	env    *portaltest.Env
	m      *Model
	cancel context.CancelFunc
	ended  *atomic.Int32
}

func newHarness(t *testing.T, env *portaltest.Env, token string) *harness {
	t.Helper()
	return newHarnessWith(t, env, token)
}

// sessionOpts is what a test may change in the session it starts.
type sessionOpts struct{ locale string }

func newHarnessWith(t *testing.T, env *portaltest.Env, token string, opts ...func(*sessionOpts)) *harness {
	t.Helper()
	var o sessionOpts
	for _, f := range opts {
		f(&o)
	}
	sess, cancel, ended := uitest.Session(t, "ann", "192.0.2.10:50000")
	sess.Locale = o.locale
	m := New(env.Service, sess, token)
	h := &harness{t: t, env: env, m: m, cancel: cancel, ended: ended, Driver: sessionDriver(t, m)}
	h.Start(80, 24)
	return h
}

// sessionDriver drives m as the server's program would, but for the
// spinner: a tick asks for the next one after a sleep, so it would turn
// forever. Its drawing is tested on its own.
func sessionDriver(t testing.TB, m *Model) *uitest.Driver {
	return &uitest.Driver{T: t, Model: m,
		Drop: func(msg tea.Msg) bool { _, ok := msg.(spinner.TickMsg); return ok },
	}
}

func signUpOn(t *testing.T, env *portaltest.Env, on bool) {
	t.Helper()
	mode := vocab.SignUpOff
	if on {
		mode = vocab.SignUpOn
	}
	if err := env.Service.SetSignUpMode(context.Background(), env.Admin(), mode); err != nil {
		t.Fatal(err)
	}
}

// logIn takes a harness on the welcome screen to Home as the client.
func (h *harness) logIn(email string) {
	h.t.Helper()
	h.Press("l")
	h.Fill(email, portaltest.StrongPassword)
	if _, ok := h.m.cur.(*home); !ok {
		h.t.Fatalf("not home after log in:\n%s", h.View())
	}
}

// submitLogIn types email and password into the log-in form and presses
// Enter without running the call it starts, which it returns: the test
// decides what happens while the call is in flight.
func (h *harness) submitLogIn(email, password string) tea.Cmd {
	h.t.Helper()
	h.Press("l")
	h.Type(email)
	h.Press("tab")
	h.Type(password)
	_, call := h.m.Update(uitest.Key("enter"))
	if call == nil {
		h.t.Fatal("no call started")
	}
	return call
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

// formOf gives tests the form of any form screen.
func (f *formScreen) formOf() *ui.Form { return f.form }
