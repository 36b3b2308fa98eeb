package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/ui"
	"github.com/clientportal/portal/tui/uitest"
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
	adminActor   = portal.Actor{Kind: vocab.ActorStaff, Name: "ann", Role: vocab.RoleAdmin, RemoteAddr: "192.0.2.1:4000"}
	supportActor = portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport, RemoteAddr: "192.0.2.2:4000"}
)

// harness drives the console through uitest.Driver.
type harness struct {
	*uitest.Driver
	t     *testing.T
	env   *portaltest.Env
	m     *Model
	ended int // client sessions a test bound and the console ended
}

func newHarness(t *testing.T, env *portaltest.Env, a portal.Actor) *harness {
	t.Helper()
	sess, _, _ := uitest.Session(t, "portal-admin", "192.0.2.1:4000")
	m := newModel(env.Service, sess, a)
	h := &harness{t: t, env: env, m: m, Driver: consoleDriver(t, m)}
	h.Start(100, 30)
	return h
}

// consoleDriver drives m as the server's program would, but for the
// refresh timers, which would tick forever: they are tested on their own.
func consoleDriver(t testing.TB, m *Model) *uitest.Driver {
	d := &uitest.Driver{T: t, Model: m,
		Drop: func(msg tea.Msg) bool { _, tick := msg.(refreshMsg); return tick },
	}
	for _, tb := range m.tabs {
		if q, ok := tb.(*requests); ok {
			q.every = time.Millisecond // its ticks are dropped: no need to wait for them
		}
	}
	return d
}

// answer is what a call on r for s answers when it returns v and err: the
// call r had running is given up, as for a new one, so the screen takes
// this answer as the one it awaits.
func answer[T any](r *ui.Runner, s screen, v T, err error) tea.Msg {
	return ui.Run(r, s, func(context.Context) (T, error) { return v, err })()
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
func client(t *testing.T, env *portaltest.Env, email string) *portal.Client {
	t.Helper()
	c := env.ClientByEmail(t, email)
	return c
}

// awaiting makes a client waiting for approval, straight in the store.
func awaiting(t *testing.T, env *portaltest.Env, email, name string) {
	t.Helper()
	c := &store.Client{Email: email, EmailNorm: email, Name: name, NameNorm: strings.ToLower(name),
		Status: vocab.StatusAwaiting, Lang: "en", CreatedAt: fixedNow, UpdatedAt: fixedNow}
	if err := env.Store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// adminSession is a console's session as the server makes one.
func adminSession(t *testing.T) ui.Session {
	t.Helper()
	sess, _, _ := uitest.Session(t, "portal-admin", "192.0.2.1:4000")
	return sess
}
