package admin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/tui/uitest"
)

type goldenStep struct {
	keys    []string
	typed   string
	then    []string
	waitFor string
}

// staffKey is a fixed key line, so fingerprints in goldens never change.
func staffKey(t *testing.T, seed byte) string {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	pub, err := gossh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub)))
}

// goldenData is the same small portal for every golden screen.
func goldenData(t *testing.T, env *portaltest.Env) {
	t.Helper()
	addClients(t, env,
		[3]string{"ann@example.com", "Ann Smith", "Acme Ltd"},
		[3]string{"bob@example.com", "Bob Stone", ""},
		[3]string{"carol@example.com", "Carol Diaz", "Diaz & Sons"},
	)
	awaiting(t, env, "dan@example.com", "Dan Brown")
	ctx := context.Background()
	if _, err := env.Service.AddStaff(ctx, env.Admin(), "ann", "admin", staffKey(t, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.AddStaff(ctx, env.Admin(), "sam", "support", staffKey(t, 2)); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.ResendInvitation(ctx, portal.Actor{Kind: "staff", Name: "sam", Role: "support"}, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
}

// TestGolden draws every screen at 80x24 and 200x60 through a real Bubble
// Tea program and compares the final frame with testdata/TestGolden/NAME
// (regenerate with go test ./tui/admin/ -update).
func TestGolden(t *testing.T) {
	type goldenCase struct {
		name  string
		actor portal.Actor
		steps []goldenStep
	}
	listed := goldenStep{waitFor: "Carol Diaz"}
	cases := []goldenCase{
		{name: "clients", steps: []goldenStep{listed}},
		{name: "clients_support", actor: supportActor, steps: []goldenStep{listed}},
		{name: "clients_search", steps: []goldenStep{listed, {keys: []string{"/"}, typed: "car", waitFor: "Search"}}},
		{name: "clients_filter", steps: []goldenStep{listed, {keys: []string{"s", "s", "s"}, waitFor: "Dan Brown"}}},
		{name: "detail", steps: []goldenStep{listed, {keys: []string{"down", "enter"}, waitFor: "Recent events"}}},
		{name: "detail_confirm", steps: []goldenStep{listed, {keys: []string{"enter"}, waitFor: "Recent events"}, {keys: []string{"d"}, waitFor: "y/n"}}},
		{name: "url", steps: []goldenStep{listed, {keys: []string{"u"}, waitFor: "Clients connect with"}}},
		{name: "add_client", steps: []goldenStep{listed, {keys: []string{"a"}, waitFor: "Add client"}}},
		{name: "add_client_exists", steps: []goldenStep{listed, {keys: []string{"a"}, waitFor: "Add client"},
			{typed: "ann@example.com", then: []string{"enter"}}, {typed: "Ann Again", then: []string{"enter", "enter", "enter"}, waitFor: "already"}}},
		{name: "import", steps: []goldenStep{listed, {keys: []string{"i"}, waitFor: "Import clients"}}},
		{name: "signups", steps: []goldenStep{listed, {keys: []string{"2"}, waitFor: "Dan Brown"}}},
		{name: "outbox", steps: []goldenStep{listed, {keys: []string{"3"}, waitFor: "queued"}}},
		{name: "audit", steps: []goldenStep{listed, {keys: []string{"4"}, waitFor: "staff.add"}}},
		{name: "audit_support", actor: supportActor, steps: []goldenStep{listed, {keys: []string{"4"}, waitFor: "bob@ex"}}},
		{name: "settings", steps: []goldenStep{listed, {keys: []string{"5"}, waitFor: "Now: off"}}},
		{name: "settings_confirm", steps: []goldenStep{listed, {keys: []string{"5"}, waitFor: "Now: off"}, {keys: []string{"a"}, waitFor: "y/n"}}},
		{name: "staff", steps: []goldenStep{listed, {keys: []string{"6"}, waitFor: "SHA256"}}},
		{name: "add_staff", steps: []goldenStep{listed, {keys: []string{"6"}, waitFor: "SHA256"}, {keys: []string{"a"}, waitFor: "Add a staff key"}}},
	}
	sizes := []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x60", 200, 60}}
	for _, tc := range cases {
		for _, sz := range sizes {
			t.Run(tc.name+"_"+sz.name, func(t *testing.T) {
				t.Parallel()
				env := newEnv(t)
				goldenData(t, env)
				a := tc.actor
				if a.Name == "" {
					a = adminActor
				}
				tm := teatest.NewTestModel(t, New(env.Service, adminSession(t), a), teatest.WithInitialTermSize(sz.w, sz.h))
				for _, s := range tc.steps {
					for _, k := range s.keys {
						tm.Send(uitest.Key(k))
					}
					for _, r := range s.typed {
						tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
					}
					for _, k := range s.then {
						tm.Send(uitest.Key(k))
					}
					if s.waitFor != "" {
						want := []byte(s.waitFor)
						teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, want) },
							teatest.WithDuration(5*time.Second))
					}
				}
				// Let any last answer land before the frame is taken.
				time.Sleep(300 * time.Millisecond)
				tm.Send(uitest.Key("ctrl+c"))
				final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
				teatest.RequireEqualOutput(t, []byte(final.View()))
			})
		}
	}
}
