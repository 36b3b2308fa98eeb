package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
)

// openRequest opens the only request of requestFixture on its page.
func openRequest(t *testing.T, env *portaltest.Env) (*harness, *requestDetail) {
	t.Helper()
	h := newHarness(t, env, adminActor)
	h.Press("2", "enter")
	h.RequireView("History")
	return h, h.m.current().(*requestDetail)
}

// TestStatusKeysAreFixed: in the status chooser a key always means the
// same status, whatever the request's: 1 new, 2 in progress, 3 waiting,
// 4 done, 5 rejected, only the moves allowed listed. A key of a move not
// offered does nothing.
func TestStatusKeysAreFixed(t *testing.T) {
	env := newEnv(t)
	r, _ := requestFixture(t, env)
	h, _ := openRequest(t, env)

	for _, step := range []struct {
		from, offered, refused []string
		key, to                string
	}{
		{offered: []string{"2  in progress", "3  waiting", "4  done", "5  rejected"}, refused: []string{"1  new"},
			key: "3", to: vocab.RequestWaiting},
		{offered: []string{"2  in progress", "4  done", "5  rejected"}, refused: []string{"1  new", "3  waiting"},
			key: "2", to: vocab.RequestInProgress},
		{offered: []string{"3  waiting", "4  done", "5  rejected"}, refused: []string{"1  new", "2  in progress"},
			key: "3", to: vocab.RequestWaiting},
	} {
		h.Press("s")
		h.RequireView(step.offered...)
		h.RefuseView(step.refused...)
		h.Press("1") // new is never offered once the request moved: nothing happens
		h.RequireView(step.offered...)
		h.Press(step.key)
		if got := page(t, env, r.ID).Status; got != step.to {
			t.Fatalf("key %s moved the request to %s, want %s", step.key, got, step.to)
		}
	}
}

// TestClosingAsksFirst: moving a request to done or rejected mails the
// client, so it asks y/n first, by its key or by Enter, as the console's
// other confirmations do: n and Esc change nothing and mail no one.
func TestClosingAsksFirst(t *testing.T) {
	env := newEnv(t)
	r, eve := requestFixture(t, env)
	h, s := openRequest(t, env)
	mails := len(env.Mails(t, eve.Email))

	for _, tc := range []struct {
		keys     []string
		word, no string
	}{
		{[]string{"s", "4"}, "done", "n"},
		{[]string{"s", "5"}, "rejected", "esc"},
		{[]string{"s", "down", "down", "enter"}, "done", "n"}, // on in progress, then waiting, done
	} {
		h.Press(tc.keys...)
		h.RequireView("Move request #1 to "+tc.word+"? The client is told by email. y/n", "y yes", "n no")
		h.RefuseView("Move request #1 (now")
		h.Press("s", "a", "2", "end") // other keys do nothing while asked
		h.RequireView("y/n")
		if s.confirm == "" || s.choose != "" {
			t.Fatalf("a key other than y/n answered: confirm %q, chooser %q", s.confirm, s.choose)
		}
		h.Press(tc.no)
		h.RefuseView("y/n", "is now")
		h.RequireView("History")
		if got := page(t, env, r.ID).Status; got != vocab.RequestNew {
			t.Fatalf("after %s the request is %s", tc.no, got)
		}
		if n := len(env.Mails(t, eve.Email)); n != mails {
			t.Fatalf("%d mails to the client, want %d", n, mails)
		}
	}

	h.Press("s", "5", "y")
	h.RequireView("Request #1 is now rejected; the client was told.", "moved it to rejected")
	if got := page(t, env, r.ID).Status; got != vocab.RequestRejected {
		t.Fatalf("status %s", got)
	}
	env.LastMail(t, eve.Email, portal.MailRequestUpdate)
	if n := len(env.Mails(t, eve.Email)); n != mails+1 {
		t.Fatalf("%d mails to the client, want %d", n, mails+1)
	}
}

// TestRequestPageRefreshes: the page picks up a note the client adds by
// itself while shown, keeping the lines in sight, or the end when the end
// was in sight; it does not while a chooser or a question is open, nor
// while the note form covers it, nor once left.
func TestRequestPageRefreshes(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	r, eve := requestFixture(t, env)
	for i := range 12 {
		if err := env.Service.AddNote(ctx, env.Admin(), r.ID, "Note number "+string(rune('a'+i)), true); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.Press("2", "enter")
	s := h.m.current().(*requestDetail)
	clientNote := func(body string) {
		t.Helper()
		if err := env.Service.AddNote(ctx, portaltest.ClientActor(eve), r.ID, body, false); err != nil {
			t.Fatal(err)
		}
	}
	tick := func() { h.Send(refreshMsg{owner: owner{s}, seq: s.timer.seq}) }

	// Scrolled up a little: the same lines stay in sight.
	h.Press("down", "down")
	at := s.vp.YOffset
	clientNote("First answer.")
	tick()
	if got := len(s.view.Events); got != 14 {
		t.Fatalf("%d events after the refresh, want 14", got)
	}
	if s.vp.YOffset != at {
		t.Fatalf("the refresh scrolled from line %d to %d", at, s.vp.YOffset)
	}
	h.RefuseView("First answer.")

	// At the end: the end stays in sight, with the new entry.
	h.Press("end")
	h.RequireView("First answer.")
	clientNote("Second answer.")
	tick()
	h.RequireView("Second answer.", "wrote:")
	if !s.vp.AtBottom() {
		t.Fatal("the end is no longer in sight")
	}

	// A chooser or a question open: nothing changes under it, the timer
	// goes on.
	clientNote("Third answer.")
	for _, keys := range [][]string{{"s"}, {"s", "4"}} {
		h.Press(keys...)
		before := len(s.view.Events)
		if cmd := s.Update(refreshMsg{owner: owner{s}, seq: s.timer.seq}); cmd == nil {
			t.Fatalf("%v: the timer stopped", keys)
		}
		tick()
		if len(s.view.Events) != before {
			t.Fatalf("%v: refreshed under an open question", keys)
		}
		h.Press("esc")
	}
	tick()
	h.RequireView("Third answer.")

	// Covered by the note form: no refresh; shown again, its own timer.
	seq := s.timer.seq
	h.Press("n")
	if s.timer.seq == seq {
		t.Fatal("the page still ticks under the note form")
	}
	if cmd := s.Update(refreshMsg{owner: owner{s}, seq: seq}); cmd != nil {
		t.Fatal("a tick from before the note form refreshed the page")
	}
	h.Press("esc")
	if cmd := s.Update(refreshMsg{owner: owner{s}, seq: s.timer.seq}); cmd == nil {
		t.Fatal("no refresh once the note form is left")
	}
	// Left: the console drops its ticks.
	h.Press("esc")
	if h.m.alive(s) {
		t.Fatal("the page left is still alive")
	}
}

// TestClientAnswerShowsAsTheirStep: when the client adds a note to a
// request waiting on them, the portal moves it back to in progress as
// their step; the history says they answered, not that staff moved it.
func TestClientAnswerShowsAsTheirStep(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	r, eve := requestFixture(t, env)
	if err := env.Service.SetRequestStatus(ctx, env.Admin(), r.ID, vocab.RequestWaiting); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.AddNote(ctx, portaltest.ClientActor(eve), r.ID, "Here is the lease.", false); err != nil {
		t.Fatal(err)
	}
	v := page(t, env, r.ID)
	last := v.Events[len(v.Events)-1]
	if v.Status != vocab.RequestInProgress || last.Kind != vocab.EventStatus || last.AuthorKind != vocab.ActorClient {
		t.Fatalf("the portal left %s, last event %+v", v.Status, last)
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.Press("2", "enter")
	h.RequireView("eve@example.com  answered: back to in progress", "moved it to waiting", "in progress · assigned to nobody")
	h.RefuseView("moved it to in progress")
}

// TestRequestClientFilter: the client filter says it takes a full email;
// an email no client has gets a hint on where to find it; / reopens the
// filter on its text, the cursor at the end, and Ctrl+U erases it.
func TestRequestClientFilter(t *testing.T) {
	env := newEnv(t)
	requestFixture(t, env)
	h := newHarness(t, env, adminActor)
	h.Press("2", "/")
	h.RequireView("Client's full email", "client@example.com", "ctrl+u erase the text")
	h.Type("eve")
	h.Press("enter")
	hint := "Type the client's full email, or find it in the Clients tab with /."
	h.RequireView("No client with the email eve.", hint)

	q := h.m.tabs[1].(*requests)
	h.Press("/")
	if v := q.input.Value(fieldClient); v != "eve" {
		t.Fatalf("reopened on %q", v)
	}
	h.Type("@example.com") // at the end
	if v := q.input.Value(fieldClient); v != "eve@example.com" {
		t.Fatalf("typed at the end: %q", v)
	}
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	if v := q.input.Value(fieldClient); v != "" {
		t.Fatalf("Ctrl+U left %q", v)
	}
	h.RequireView("client@example.com") // the placeholder again
	h.Type("eve@example.com")
	h.Press("enter")
	h.RequireView(`client: "eve@example.com"`, "Lease for the shop")
	h.RefuseView(hint, "No client")

	// Any other refusal gets no such hint.
	h.Send(answer(&q.list.run, q, listPage[portal.QueueRow]{refresh: true}, portal.ErrForbidden))
	h.RequireView(refusal)
	h.RefuseView(hint)
}

// TestTypeFormIntroOnlyWhenEditing: the line about requests already filed
// is about a change: the form to add a type does not show it.
func TestTypeFormIntroOnlyWhenEditing(t *testing.T) {
	env := newEnv(t)
	env.AddRequestType(t, "Will", "Testator: text, required")
	h := newHarness(t, env, adminActor)
	const intro = "Requests already filed keep the fields they were filed with."
	h.Press("6", "t", "a")
	h.RequireView("Add a request type")
	h.RefuseView(intro)
	h.Press("esc", "e")
	h.RequireView(`Edit the request type "Will"`, intro)
}

// helpLines are the help's lines at the bottom of the frame.
func helpLines(h *harness) string {
	ls := strings.Split(h.View(), "\n")
	return strings.Join(ls[len(ls)-helpRows:], "\n")
}

// requireWayOut fails unless the help shows every way out of the screen
// (Esc, whatever it does there) and, unless a text input has the keys, q;
// and shows it whole.
func requireWayOut(t *testing.T, h *harness, where string) {
	t.Helper()
	help := helpLines(h)
	if strings.Contains(help, "…") {
		t.Fatalf("%s: the help is cut:\n%s", where, help)
	}
	var out []key.Binding
	if h.m.showURL {
		out = []key.Binding{h.m.keys.closeURL}
	} else {
		for _, k := range h.m.current().Keys() {
			if helpRank(k) == helpKeep {
				out = append(out, k)
			}
		}
	}
	if !h.m.current().Typing() || h.m.showURL {
		out = append(out, h.m.keys.quit)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no way out", where)
	}
	for _, k := range out {
		if !strings.Contains(help, k.Help().Key) || !strings.Contains(help, k.Help().Desc) {
			t.Fatalf("%s: the help lacks %s %s:\n%s", where, k.Help().Key, k.Help().Desc, help)
		}
	}
}

// TestHelpKeepsTheWayOutWhenNarrow: down to 60 columns, every screen's
// help shows whole, with Esc and q; what does not fit is left out, the
// least needed first.
func TestHelpKeepsTheWayOutWhenNarrow(t *testing.T) {
	for _, w := range []int{80, 70, 60} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			t.Parallel() // the Sign-ups and Outbox tabs wait for their timers
			helpAt(t, w)
		})
	}
}

// helpAt goes through every screen at w columns, checking the help of each.
func helpAt(t *testing.T, w int) {
	env := newEnv(t)
	goldenData(t, env)
	goldenRequests(t, env)
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: w, Height: 24})
	steps := []struct {
		name       string
		keys, back []string
	}{
		{"clients", nil, nil},
		{"client search", []string{"/"}, []string{"esc"}},
		{"client", []string{"enter"}, nil},
		{"client disable", []string{"d"}, []string{"n", "esc"}},
		{"add client", []string{"a"}, []string{"esc"}},
		{"import", []string{"i"}, []string{"esc"}},
		{"portal URL", []string{"u"}, []string{"esc"}},
		{"requests", []string{"2"}, nil},
		{"client filter", []string{"/"}, []string{"esc"}},
		{"request", []string{"down", "down", "enter"}, nil},
		{"status chooser", []string{"s"}, []string{"esc"}},
		{"closing", []string{"s", "4"}, []string{"n"}},
		{"assignee chooser", []string{"a"}, []string{"esc"}},
		{"note", []string{"n"}, []string{"esc", "esc"}},
		{"sign-ups", []string{"3"}, nil},
		{"awaiting client", []string{"enter"}, []string{"esc"}},
		{"outbox", []string{"4"}, nil},
		{"audit", []string{"5"}, nil},
		{"settings", []string{"6"}, nil},
		{"request types", []string{"t"}, nil},
		{"type form", []string{"e"}, []string{"esc", "esc"}},
		{"staff", []string{"7"}, nil},
		{"add staff", []string{"a"}, []string{"esc"}},
	}
	for _, st := range steps {
		h.Press(st.keys...)
		requireWayOut(t, h, st.name)
		h.Press(st.back...)
	}
}
