package client

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/uitest"
)

const (
	benchAnn   = "ann@example.com"
	benchCarol = "carol@example.com"
	benchBob   = "bob@example.com"
)

// benchStaff is the legal team writing in the benchmark's threads.
var benchStaff = portal.System("staff")

// benchScreen is a screen a client can reach: how to get there from a new
// session, and a text that shows it got there.
type benchScreen struct {
	name  string
	token bool                   // start from carol's invitation link
	steps func(d *uitest.Driver) // from the first screen
	want  string
}

// benchClientScreens are the screens of the client's program, each as a
// person reaches it.
func benchClientScreens() []benchScreen {
	pw := portaltest.StrongPassword
	then := func(keys ...string) func(*uitest.Driver) {
		return func(d *uitest.Driver) { benchLogIn(d, keys...) }
	}
	form := func(d *uitest.Driver) {
		benchLogIn(d)
		d.Press("n", "enter") // the first kind: Contract review
	}
	return []benchScreen{
		{name: "welcome", steps: func(*uitest.Driver) {}, want: "Sign up"},
		{name: "login", steps: func(d *uitest.Driver) { d.Press("l") }, want: "Log in with"},
		{name: "signup", steps: func(d *uitest.Driver) { d.Press("s") }, want: "Tell us who"},
		{name: "verify", steps: func(d *uitest.Driver) {
			d.Press("s")
			d.Fill("Bob Stone", benchBob, "", "", pw, pw)
		}, want: "Confirm your email"},
		{name: "forgot", steps: func(d *uitest.Driver) { d.Press("f") }, want: "Type the email"},
		{name: "reset", steps: func(d *uitest.Driver) {
			d.Press("f")
			d.Fill(benchAnn)
		}, want: "If an account"},
		{name: "invite", steps: func(d *uitest.Driver) { d.Press("i") }, want: "Invitation code"},
		{name: "invite_set_password", token: true, steps: func(*uitest.Driver) {}, want: "Carol Diaz"},
		{name: "home", steps: then(), want: "Hello, Ann"},
		{name: "password", steps: then("p"), want: "current password"},
		{name: "profile", steps: then("e"), want: "Edit profile"},
		{name: "language", steps: then("g"), want: "Choose the language"},
		{name: "request_types", steps: then("n"), want: "Document request"},
		{name: "request_form", steps: form, want: "New request: Contract"},
		{name: "request_review", steps: func(d *uitest.Driver) {
			form(d)
			d.Type("Lease for the shop")
			d.Press("enter")
			d.Type("The lease runs five years.")
			d.Press("enter")
			d.Type("Is a doubling of the rent usual?")
			d.Press("tab")
			d.Type("2026-12-31")
			d.Press("enter", "right", "right", "right", "enter")
		}, want: "Check your request"},
		{name: "my_requests", steps: then("m"), want: "Updated (UTC)"},
		// The newest request is the one with the long thread (see
		// benchPortal), at the top of the list.
		{name: "request_thread", steps: then("m", "enter"), want: "Lease for the shop"},
		{name: "note", steps: then("m", "enter", "n"), want: "Note on request"},
	}
}

// benchLogIn logs Ann in from the welcome screen, then presses keys.
func benchLogIn(d *uitest.Driver, keys ...string) {
	d.Press("l")
	d.Fill(benchAnn, portaltest.StrongPassword)
	d.Press(keys...)
}

// BenchmarkView times the client program's View on every screen a client
// can reach, at 80x24 and 200x60, with the colours an xterm-256color
// terminal gets. Each screen is reached by keys, as a person would, on a
// portal with data (benchPortal); View is then drawn a few times before the
// timing starts, so that what is timed is the frame a session redraws while
// the screen stays, not the first one.
func BenchmarkView(b *testing.B) {
	env := benchPortal(b)
	for _, sc := range benchClientScreens() {
		b.Run(sc.name, func(b *testing.B) {
			token := ""
			if sc.token {
				token = benchInvite(b, env)
			}
			d := benchSession(b, env, token)
			sc.steps(d)
			d.RequireText(sc.want)
			uitest.BenchFrames(b, d)
		})
	}
}

// BenchmarkKeystroke times what a person feels when typing: Update with
// one key on a text field, then View of the frame that shows it. Keys
// alternate between a letter and Backspace, so the field stays the same
// length however long the run; each op is one key. The command Update
// returns is not run: the program runs commands in goroutines of their own,
// off the path from the key to the frame.
func BenchmarkKeystroke(b *testing.B) {
	env := benchPortal(b)
	fields := []struct {
		name  string
		steps func(d *uitest.Driver)
		want  string
	}{
		// The email field of the log-in form, half typed.
		{"login_email", func(d *uitest.Driver) {
			d.Press("l")
			d.Type("ann.smith@exam")
		}, "Log in with"},
		// The date field of a request form whose other fields hold the most
		// they take, pasted: every frame draws the full text area.
		{"request_form_full", func(d *uitest.Driver) {
			benchLogIn(d, "n", "enter")
			d.Paste(strings.Repeat("A", 64<<10))
			d.Press("enter")
			d.Paste(strings.Repeat("B", 64<<10))
			d.Press("enter")
			d.Paste(strings.Repeat("C ", 32<<10))
			d.Press("tab")
			d.Type("2026-12-3")
		}, "New request: Contract"},
		// The note on a request: a multi-line text area with two paragraphs
		// in it already.
		{"note", func(d *uitest.Driver) {
			benchLogIn(d, "m", "enter", "n")
			d.Type("Thank you for the draft. I read it twice and have two questions.")
			d.Press("enter")
			d.Type("First, the break clause: can we leave after three years without paying the rest")
		}, "Note on request"},
	}
	for _, f := range fields {
		b.Run(f.name, func(b *testing.B) {
			d := benchSession(b, env, "")
			f.steps(d)
			d.RequireText(f.want)
			uitest.BenchKeystrokes(b, d)
		})
	}
}

// benchSession is a new client session on env's portal, with an
// xterm-256color terminal's colours, driven as the server's program would.
func benchSession(b *testing.B, env *portaltest.Env, token string) *uitest.Driver {
	b.Helper()
	d := sessionDriver(b, New(env.Service, uitest.ColourSession(b, "ann", "192.0.2.10:50000"), token))
	d.Start(80, 24)
	return d
}

// benchPortal is a portal with sign-up open and Ann, an active client with
// a dozen requests of two kinds; the newest has a long thread: forty
// notes between her and the legal team, some of several lines, and a
// change of status.
func benchPortal(b *testing.B) *portaltest.Env {
	b.Helper()
	ctx := context.Background()
	env := portaltest.New(b, portaltest.RoomyQuotas()) // more requests than an hour's
	must(b, env.Service.SetSignUpMode(ctx, env.Admin(), vocab.SignUpOn))
	ann := env.AddActiveClient(b, benchAnn, "Ann Smith")
	as := portaltest.ClientActor(ann)
	contract, docs := addTypes(b, env)
	for i := range 11 {
		if i%2 == 0 {
			env.Submit(b, ann, docs.ID, fmt.Sprintf("Certificate %d\nPassport\nProof of address", i))
			continue
		}
		r := env.Submit(b, ann, contract.ID, fmt.Sprintf("Supplier agreement %d", i), "Twelve pages, signed by them already.", "", "Normal")
		must(b, env.Service.SetRequestStatus(ctx, benchStaff, r.ID, vocab.RequestInProgress))
	}
	lease := env.Submit(b, ann, contract.ID, "Lease for the shop",
		"The lease runs five years.\nThe rent doubles in year three; is that usual?", "2026-12-31", "High")
	must(b, env.Service.SetRequestStatus(ctx, benchStaff, lease.ID, vocab.RequestInProgress))
	for i := range 40 {
		by, text := benchStaff, fmt.Sprintf("We have read clause %d. It is usual for a shop lease, but the notice period is short; "+
			"we will ask the landlord's lawyer to extend it to six months.", i+1)
		if i%2 == 1 {
			by, text = as, fmt.Sprintf("Thank you. About clause %d:\nthe shop is closed in August, can the notice period skip it?", i)
		}
		must(b, env.Service.AddNote(ctx, by, lease.ID, text, false))
	}
	return env
}

// benchInvite invites Carol and returns the token of her invitation link.
func benchInvite(b *testing.B, env *portaltest.Env) string {
	b.Helper()
	_, err := env.Service.AddClient(context.Background(), env.Admin(), portal.NewClient{Email: benchCarol, Name: "Carol Diaz", Company: "Diaz & Sons"})
	must(b, err)
	return portaltest.TokenIn(b, env.LastMail(b, benchCarol, portal.MailInvitation).Body)
}
