package client

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/tui/uitest"
)

// goldenStep is something to do in the running program, then text to
// wait for before the next step.
type goldenStep struct {
	keys    []string
	typed   string
	waitFor string
}

// TestGolden draws every screen at 80x24 through a real Bubble Tea
// program and compares the final frame with testdata/TestGolden/NAME.golden
// (regenerate with go test ./tui/client/ -update). The renderer draws no
// colour, so the files are plain text a person can review.
func TestGolden(t *testing.T) {
	type goldenCase struct {
		name   string
		signUp bool
		locale string
		token  func(t *testing.T, env *portaltest.Env) string
		steps  []goldenStep
	}
	pw := portaltest.StrongPassword
	login := []goldenStep{
		{keys: []string{"l"}, waitFor: "Log in with"},
		{typed: annEmail, keys: []string{"enter"}},
		{typed: pw, keys: []string{"enter"}, waitFor: "Hello, Ann"},
	}
	// Sign up is offered once the welcome screen has asked the portal.
	openSignUp := []goldenStep{{waitFor: "Sign up"}, {keys: []string{"s"}, waitFor: "Tell us who"}}
	signUp := []goldenStep{
		openSignUp[0], openSignUp[1],
		{typed: "Bob Stone", keys: []string{"enter"}},
		{typed: "bob@example.com", keys: []string{"enter", "enter", "enter"}},
		{typed: pw, keys: []string{"enter"}},
		{typed: pw, keys: []string{"enter"}, waitFor: "Confirm your email"},
	}
	invited := func(t *testing.T, env *portaltest.Env) string {
		return inviteToken(t, env, "carol@example.com", "Carol Diaz")
	}
	cases := []goldenCase{
		{name: "welcome", steps: []goldenStep{{waitFor: "Accept invitation"}}},
		{name: "welcome_fr", locale: "fr_FR.UTF-8", steps: []goldenStep{{waitFor: "Accepter l'invitation"}}},
		{name: "welcome_signup_on", signUp: true, steps: []goldenStep{{waitFor: "Sign up"}}},
		{name: "login", steps: []goldenStep{{keys: []string{"l"}, waitFor: "Log in with"}}},
		{name: "login_wrong_password", steps: []goldenStep{
			{keys: []string{"l"}, waitFor: "Log in with"},
			{typed: annEmail, keys: []string{"tab"}},
			{typed: "a wrong password", keys: []string{"enter"}, waitFor: "Wrong email"},
		}},
		{name: "signup", signUp: true, steps: openSignUp},
		{name: "signup_empty", signUp: true, steps: []goldenStep{
			openSignUp[0], openSignUp[1],
			{keys: []string{"enter", "enter", "enter", "enter", "enter", "enter"}, waitFor: "required"},
		}},
		{name: "verify", signUp: true, steps: signUp},
		{name: "forgot", steps: []goldenStep{{keys: []string{"f"}, waitFor: "Type the email"}}},
		{name: "reset", steps: []goldenStep{
			{keys: []string{"f"}, waitFor: "Type the email"},
			{typed: annEmail, keys: []string{"enter"}, waitFor: "If an account"},
		}},
		{name: "invite", steps: []goldenStep{{keys: []string{"i"}, waitFor: "Invitation code"}}},
		{name: "invite_token", token: invited, steps: []goldenStep{{waitFor: "Carol Diaz"}}},
		{name: "invite_invalid", token: func(*testing.T, *portaltest.Env) string { return "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
			steps: []goldenStep{{waitFor: "not valid"}}},
		{name: "home", steps: login},
		{name: "password", steps: append(login[:len(login):len(login)], goldenStep{keys: []string{"p"}, waitFor: "current password"})},
		{name: "profile", steps: append(login[:len(login):len(login)], goldenStep{keys: []string{"e"}, waitFor: "Edit profile"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := portaltest.New(t)
			env.AddActiveClient(t, annEmail, "Ann Smith")
			signUpOn(t, env, tc.signUp)
			token := ""
			if tc.token != nil {
				token = tc.token(t, env)
			}
			sess, _, _ := uitest.Session(t, "ann", "192.0.2.10:50000")
			sess.Locale = tc.locale
			runGolden(t, New(env.Service, sess, token), tc.steps)
		})
	}
}

// runGolden runs m in a real Bubble Tea program at 80x24, takes the steps,
// and compares the last frame with the test's golden file.
func runGolden(t *testing.T, m *Model, steps []goldenStep) {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	for _, s := range steps {
		for _, r := range s.typed {
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
		for _, k := range s.keys {
			tm.Send(uitest.Key(k))
		}
		if s.waitFor != "" {
			want := []byte(s.waitFor)
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, want) },
				teatest.WithDuration(5*time.Second))
		}
	}
	tm.Send(uitest.Key("ctrl+c"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	teatest.RequireEqualOutput(t, []byte(final.View()))
}
