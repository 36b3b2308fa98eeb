package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/uitest"
)

// benchClients is how many clients the benchmark portal has: more than a
// page (clientPageSize, 50), so the list shows a full page.
const benchClients = 60

// benchScreen is a screen of the console: the keys that reach it from the
// Clients tab, and a text that shows it got there.
type benchScreen struct {
	name string
	keys []string
	want string
}

// benchConsoleScreens are the console's screens, each as staff reach it.
func benchConsoleScreens() []benchScreen {
	return []benchScreen{
		{"clients", nil, "Amélie García"},
		{"client_detail", []string{"enter"}, "Recent events"},
		{"add_client", []string{"a"}, "Add client"},
		{"import", []string{"i"}, "Import clients"},
		{"portal_url", []string{"u"}, "Clients connect with"},
		{"requests", []string{"2"}, "Lease for the"},
		// The newest request, at the top of the queue, is the one with the
		// long thread (see benchConsolePortal).
		{"request_thread", []string{"2", "enter"}, "Subject: Lease for the shop"},
		{"request_note", []string{"2", "enter", "n"}, "Internal note"},
		{"signups", []string{"3"}, "Dan Brown"},
		{"outbox", []string{"4"}, "queued"},
		{"audit", []string{"5"}, "request.note"},
		{"settings", []string{"6"}, "Now:"},
		{"types", []string{"6", "t"}, "Document request"},
		{"type_edit", []string{"6", "t", "e"}, "Edit the request type"},
		{"staff", []string{"7"}, "SHA256"},
		{"add_staff", []string{"7", "a"}, "Add a staff key"},
	}
}

// BenchmarkView times the console's View on every screen an admin can
// reach, at 80x24 and 200x60, with the colours an xterm-256color terminal
// gets, on a portal with data (benchConsolePortal): the Clients tab shows a
// full page of 50. Each screen is reached by keys from a new console; View
// is then drawn a few times before the timing starts, so that what is timed
// is the frame a session redraws while the screen stays, not the first one.
func BenchmarkView(b *testing.B) {
	env := benchConsolePortal(b)
	for _, sc := range benchConsoleScreens() {
		b.Run(sc.name, func(b *testing.B) {
			d, m := benchConsole(b, env)
			d.Press(sc.keys...)
			d.RequireText(sc.want)
			if sc.name == "clients" {
				if l := m.tabs[0].(*clients).list; len(l.pages) != 1 || len(l.pages[0]) != clientPageSize {
					b.Fatalf("the client list holds %d pages, want one full page of %d", len(l.pages), clientPageSize)
				}
			}
			uitest.BenchFrames(b, d)
		})
	}
}

// BenchmarkKeystroke times what staff feel when typing: Update with one
// key on a text field, then View of the frame that shows it. Keys
// alternate between a letter and Backspace, so the field stays the same
// length however long the run; each op is one key. The command Update
// returns is not run: the program runs commands in goroutines of their own,
// off the path from the key to the frame (for the search, the command is
// the pause before the search runs).
func BenchmarkKeystroke(b *testing.B) {
	env := benchConsolePortal(b)
	fields := []struct {
		name string
		keys []string
		text string
		want string
	}{
		// The client search above the full list of 50.
		{"clients_search", []string{"/"}, "hartw", "Search"},
		// The email field of the add-client form, half typed.
		{"add_client_email", []string{"a"}, "olivia.martin@exam", "Add client"},
	}
	for _, f := range fields {
		b.Run(f.name, func(b *testing.B) {
			d, m := benchConsole(b, env)
			d.Press(f.keys...)
			// Typed without running what the keys start, as in the timing
			// below: a search typed here would settle on its results.
			for _, r := range f.text {
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
			d.RequireText(f.want)
			uitest.BenchKeystrokes(b, d)
		})
	}
}

// benchConsole is a new admin console on env's portal, with an
// xterm-256color terminal's colours, driven as the server's program would.
func benchConsole(b *testing.B, env *portaltest.Env) (*uitest.Driver, *Model) {
	b.Helper()
	sess := uitest.ColourSession(b, "portal-admin", "192.0.2.1:4000")
	m := newModel(env.Service, sess, portal.Actor{Kind: vocab.ActorStaff, Name: "ann", Role: vocab.RoleAdmin, RemoteAddr: "192.0.2.1:4000"})
	d := consoleDriver(b, m)
	d.Start(80, 24)
	return d, m
}

// benchConsolePortal is a portal with benchClients invited clients (their
// invitations queued in the outbox), three sign-ups awaiting approval, two
// staff keys, two kinds of request, and an active client with a dozen
// requests; the newest has a long thread: forty notes between the client
// and the team, some internal, some of several lines, and changes of
// status and assignee.
func benchConsolePortal(b *testing.B) *portaltest.Env {
	b.Helper()
	ctx := context.Background()
	env := portaltest.New(b, portaltest.RoomyQuotas()) // more requests than an hour's
	first := []string{"Olivia", "Liam", "Amélie", "Noah", "Zoë", "Seán", "Mia", "Lucas", "Chloé", "Ethan"}
	last := []string{"Martin", "O'Brien", "Hartwell", "Nguyen", "Smith", "García", "Kowalski", "Dubois"}
	company := []string{"Acme Ltd", "", "Hartwell & Sons", "Nguyen Imports", "", "Dubois SARL"}
	for i := range benchClients {
		f, l := first[i%len(first)], last[(i/len(first)+i)%len(last)]
		// The portal takes ASCII local parts only: the accents and the
		// apostrophe of a name stay out of its address.
		local := strings.Map(func(r rune) rune {
			if r > 'z' || r == '\'' {
				return -1
			}
			return r
		}, strings.ToLower(l))
		email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(f[:1]), local, i)
		_, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: email, Name: f + " " + l, Company: company[i%len(company)]})
		benchMust(b, err)
	}
	for _, name := range []string{"Dan Brown", "Erin Walsh", "Farid Haddad"} {
		email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
		c := &store.Client{Email: email, EmailNorm: email, Name: name, NameNorm: strings.ToLower(name),
			Status: vocab.StatusAwaiting, Lang: "en", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		benchMust(b, env.Store.CreateClient(ctx, c))
	}
	for i, s := range []struct{ name, role string }{{"ann", "admin"}, {"sam", "support"}} {
		_, err := env.Service.AddStaff(ctx, env.Admin(), s.name, s.role, staffKey(b, byte(i+1)))
		benchMust(b, err)
	}

	contract, docs := addTypes(b, env)
	eve := env.AddActiveClient(b, "eve@example.com", "Eve Adams")
	as := portaltest.ClientActor(eve)
	sam := portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport}
	for i := range 11 {
		if i%2 == 0 {
			env.Submit(b, eve, docs.ID, fmt.Sprintf("Certificate of incorporation %d", i), "")
			continue
		}
		r := env.Submit(b, eve, contract.ID, fmt.Sprintf("Supplier agreement %d", i), "Twelve pages, signed by them already.", "", "Normal")
		benchMust(b, env.Service.SetRequestStatus(ctx, sam, r.ID, vocab.RequestInProgress))
	}
	lease := env.Submit(b, eve, contract.ID, "Lease for the shop",
		"The landlord wants a ten-year lease with a rent review every two years.\nPlease check the break clause.", "2026-12-31", "High")
	benchMust(b, env.Service.SetRequestStatus(ctx, sam, lease.ID, vocab.RequestInProgress))
	benchMust(b, env.Service.AssignRequest(ctx, sam, lease.ID, "sam"))
	for i := range 40 {
		var err error
		switch i % 4 {
		case 0:
			err = env.Service.AddNote(ctx, sam, lease.ID, fmt.Sprintf("We have read clause %d. It is usual for a shop lease, but the notice period is short; "+
				"we will ask the landlord's lawyer to extend it to six months.", i+1), false)
		case 1:
			err = env.Service.AddNote(ctx, as, lease.ID, fmt.Sprintf("Thank you. About clause %d:\nthe shop is closed in August, can the notice period skip it?", i), false)
		case 2:
			err = env.Service.AddNote(ctx, sam, lease.ID, fmt.Sprintf("Check clause %d with a partner before we answer.", i), true)
		default:
			err = env.Service.AddNote(ctx, sam, lease.ID, "Noted; we will come back to you on this point by Friday.", false)
		}
		benchMust(b, err)
	}
	return env
}

func benchMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
