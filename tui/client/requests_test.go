package client

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
	"github.com/clientportal/portal/tui/uitest"
)

// openForm logs in and opens the form of the first kind of request,
// Contract review (see portaltest.ContractFields).
// atRequestForm is Ann, logged in with the two kinds of request of
// addTypes, on a new Contract review.
func atRequestForm(t *testing.T) (*portaltest.Env, *portal.Client, *harness, *requestForm) {
	t.Helper()
	env, _ := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	addTypes(t, env)
	h := newHarness(t, env, "")
	return env, ann, h, openForm(t, h)
}

func openForm(t *testing.T, h *harness) *requestForm {
	t.Helper()
	h.logIn(annEmail)
	h.Press("n")
	h.RequireView("Contract review", "Document request", "About Contract review")
	h.Press("enter")
	f, ok := h.m.cur.(*requestForm)
	if !ok {
		t.Fatalf("no request form:\n%s", h.View())
	}
	return f
}

func TestSubmitRequest(t *testing.T) {
	env, ann, h, _ := atRequestForm(t)
	h.RequireView("New request: Contract review", "Subject *", "Urgency *", "Fields marked * are required.", "YYYY-MM-DD, optional")

	h.Fill("Lease for the shop") // Enter: on to Details
	h.Type("Line one")
	h.Press("enter") // a new line, not the next field
	h.Type("Line two")
	h.RequireView("enter new line", "ctrl+s", "review")
	h.Press("tab")
	h.Fill("2026-12-31")
	h.RequireView("←/→   choose")
	h.Press("h", "enter")

	if _, ok := h.m.cur.(*confirm); !ok {
		t.Fatalf("not on the confirm step:\n%s", h.View())
	}
	h.RequireView("Check your request: Contract review", "Lease for the shop", "Line one", "Line two", "2026-12-31", "High", "enter send")
	if n := len(myRequests(t, env, ann)); n != 0 {
		t.Fatalf("%d requests stored before Enter on the confirm step", n)
	}
	h.Press("enter")
	if _, ok := h.m.cur.(*requestPage); !ok {
		t.Fatalf("not on the request's page:\n%s", h.View())
	}
	h.RequireView("Your request #1 was sent.", "Contract review · #1", "Status: New", "Lease for the shop", "Line two")
	h.Press("end")
	h.RequireView("History", "Sent the request.")

	rs := myRequests(t, env, ann)
	if len(rs) != 1 || rs[0].Summary != "Lease for the shop" || rs[0].Status != vocab.RequestNew {
		t.Fatalf("stored %+v", rs)
	}
	view, err := env.Service.RequestPage(context.Background(), portaltest.ClientActor(ann), rs[0].ID)
	must(t, err)
	got := make([]string, len(view.Fields))
	for i, f := range view.Fields {
		got[i] = f.Value
	}
	if want := []string{"Lease for the shop", "Line one\nLine two", "2026-12-31", "High"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("stored values %q, want %q", got, want)
	}
	env.LastMail(t, portaltest.TeamEmail, portal.MailRequestTeam)

	// Esc from the page goes to the list, which has it; Esc again, home.
	h.Press("esc")
	h.RequireView("My requests", "#1", "Lease for the shop", "New")
	h.Press("esc")
	if _, ok := h.m.cur.(*home); !ok {
		t.Fatalf("esc from the list did not go home:\n%s", h.View())
	}
}

func TestRequestFormKeys(t *testing.T) {
	_, _, h, f := atRequestForm(t)

	// Ctrl+S reviews from any field; Esc on the review keeps what was typed.
	h.Type("Lease")
	h.Press("tab")
	h.Type("Some details")
	h.Press("tab", "tab")
	h.Press("right", "right") // Normal
	h.Press("shift+tab", "shift+tab")
	h.Press("ctrl+s")
	h.RequireView("Check your request", "Lease", "Some details", "Normal", "(not given)")
	h.Press("esc")
	if h.m.cur != f {
		t.Fatalf("esc on the review did not go back to the same form:\n%s", h.View())
	}
	if f.form.Value(portal.RequestFieldName(1)) != "Some details" || f.form.Value(portal.RequestFieldName(3)) != "Normal" {
		t.Errorf("values lost: %q", f.values())
	}
	// Esc on the form goes back to the kinds once what was typed is thrown
	// away (see TestEscAsksBeforeDiscardingARequest); on an empty form at
	// once. Esc there goes home.
	h.Press("esc", "y")
	h.RequireView("Choose the kind of request")
	h.Press("down", "enter")
	h.RequireView("New request: Document request", "Documents *")
	h.Press("esc", "esc")
	if _, ok := h.m.cur.(*home); !ok {
		t.Fatalf("not home:\n%s", h.View())
	}
}

func TestNoKindOfRequest(t *testing.T) {
	env, _ := newClockEnv(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("n")
	h.RequireView("There is nothing you can request here yet", "esc")
	h.Press("enter") // nothing to choose
	if _, ok := h.m.cur.(*typeChooser); !ok {
		t.Fatalf("left the chooser:\n%s", h.View())
	}
	// A kind turned off is not offered.
	rt := env.AddRequestType(t, "Hidden", "Subject: text")
	must(t, env.Service.SetRequestTypeDisabled(context.Background(), env.Admin(), rt.ID, true))
	h.Press("esc", "n")
	h.RequireView("There is nothing you can request here yet")
	h.RefuseView("Hidden")
}

func TestRequestFormBadInput(t *testing.T) {
	const (
		subject  = "field0"
		details  = "field1"
		deadline = "field2"
		urgency  = "field3"
	)
	tests := []struct {
		name  string
		fill  func(h *harness, env *portaltest.Env, rt *portal.RequestType)
		field string // "" for the whole form
		want  string
	}{
		{"required text empty", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Press("tab", "tab", "tab", "right")
		}, subject, "This field is required."},
		{"required text blank", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("    ")
			h.Press("tab", "tab", "tab", "right")
		}, subject, "This field is required."},
		{"required choice not made", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("Lease")
		}, urgency, "This field is required."},
		{"letter of no choice", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab", "tab", "tab", "z")
		}, urgency, "This field is required."},
		{"only control characters", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Paste("\x1b\x07\u202e\u200b\x9b")
			h.Press("tab", "tab", "tab", "right")
		}, subject, "This field is required."},
		{"only invalid UTF-8", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("\xff\xfe\xc0")})
			h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{0xD800, 0x110000}})
			h.Press("tab", "tab", "tab", "right")
		}, subject, "This field is required."},
		// A text area measures what it holds in columns, the portal in
		// characters: accents that take no column of their own, pasted in
		// two goes, pass the first, and the check says so on the form.
		{"combining marks past the limit", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab")
			h.Paste(strings.Repeat("e\u0301", portal.MaxLongValueLen/2))
			h.Paste(strings.Repeat("e\u0301", portal.MaxLongValueLen/2))
			h.Press("tab", "tab", "right")
		}, details, "Too long: at most 5000 characters."},
		{"date that does not exist", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab", "tab")
			h.Type("2026-02-30")
			h.Press("tab", "right")
		}, deadline, "There is no such date as 2026-02-30;"},
		{"date in words", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab", "tab")
			h.Type("tomorrow")
			h.Press("tab", "right")
		}, deadline, "Type a date as year-month-day, like 2026-12-31."},
		{"date with an escape sequence", func(h *harness, _ *portaltest.Env, _ *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab", "tab")
			h.Paste("2026-12-31\x1b[2J")
			h.Press("tab", "right")
		}, deadline, "Type a date as year-month-day, like 2026-12-31."},
		{"choice gone meanwhile", func(h *harness, env *portaltest.Env, rt *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab", "tab", "tab", "left") // High
			editType(h.t, env, rt, "Subject: text, required", "Details: multiline", "Deadline: date", "Urgency: choice(Low | Normal), required")
		}, urgency, "Choose one of: Low, Normal."},
		{"kind changed meanwhile", func(h *harness, env *portaltest.Env, rt *portal.RequestType) {
			h.Type("Lease")
			h.Press("tab", "tab", "tab", "right")
			editType(h.t, env, rt, "Subject: text, required")
		}, "", "This kind of request was changed while you filled it in."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := newClockEnv(t)
			ann := env.AddActiveClient(t, annEmail, "Ann Smith")
			contract, _ := addTypes(t, env)
			h := newHarness(t, env, "")
			f := openForm(t, h)
			tt.fill(h, env, contract)
			h.Press("ctrl+s") // the portal checks before the review
			if h.m.cur != f {
				t.Fatalf("left the form:\n%s", h.View())
			}
			h.RequireView(tt.want)
			if tt.field != "" {
				if got := f.form.Focused(); got != tt.field {
					t.Errorf("focus on %q, want %q", got, tt.field)
				}
				// The message is under its field: after its label, before
				// the next field's.
				v := h.View()
				at := strings.Index(v, tt.want)
				label := strings.Index(v, contract.Name) // a guard: the title is above all
				if at < label {
					t.Errorf("message above the form:\n%s", v)
				}
				if next := nextLabel(tt.field); next != "" && strings.Index(v, next) < at {
					t.Errorf("message not under its field:\n%s", v)
				}
			}
			requireClean(t, h.View())
			checkFits(t, h.View(), 80, 24)
			if n := len(myRequests(t, env, ann)); n != 0 {
				t.Errorf("%d requests stored", n)
			}
			for _, v := range f.values() {
				if !utf8.ValidString(v) || strings.ContainsAny(v, "\x1b\x07\u202e\u200b\u009b") {
					t.Errorf("a control reached the value %q", v)
				}
			}
		})
	}
}

// nextLabel is the label of the field after a contract form's field.
func nextLabel(field string) string {
	return map[string]string{"field0": "Details", "field1": "Deadline", "field2": "Urgency"}[field]
}

func editType(t *testing.T, env *portaltest.Env, rt *portal.RequestType, specs ...string) {
	t.Helper()
	in := portal.TypeInput{Name: rt.Name, Description: rt.Description}
	for _, s := range specs {
		f, err := portal.ParseFieldSpec(s)
		must(t, err)
		in.Fields = append(in.Fields, f)
	}
	_, err := env.Service.EditRequestType(context.Background(), env.Admin(), rt.ID, in)
	must(t, err)
}

func TestRequestFormCleansWhatIsTyped(t *testing.T) {
	env, ann, h, _ := atRequestForm(t)
	h.Paste("\x1b[31mLease\x1b]0;title\x07 \u202efor\u200b the shop\x9b2J")
	h.Press("tab")
	h.Paste("One\r\nTwo\rThree\tfour\x1b[2J\xff")
	h.Press("tab", "tab", "right")
	requireClean(t, h.View())
	h.Press("ctrl+s")
	requireClean(t, h.View())
	h.Press("enter")
	h.RequireView("Your request #1 was sent.")
	requireClean(t, h.View())
	view, err := env.Service.RequestPage(context.Background(), portaltest.ClientActor(ann), 1)
	must(t, err)
	if got := view.Fields[0].Value; got != "[31mLease]0;title for the shop2J" {
		t.Errorf("subject stored as %q", got)
	}
	if got := view.Fields[1].Value; got != "One\nTwo\nThree four[2J" {
		t.Errorf("details stored as %q", got)
	}
}

func TestUnreadAfterTheLegalTeamAnswers(t *testing.T) {
	ctx := context.Background()
	env, clk := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	contract, docs := addTypes(t, env)
	lease := env.Submit(t, ann, contract.ID, "Lease for the shop", "", "", "Low")
	clk.Add(time.Minute)
	env.Submit(t, ann, docs.ID, "Passport")

	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.RequireView("m  My requests")
	h.RefuseView("with news")
	h.Press("m")
	h.RequireView("#1", "#2")
	h.RefuseView(unreadMark + " #")

	clk.Add(time.Hour)
	must(t, env.Service.SetRequestStatus(ctx, staff, lease.ID, vocab.RequestWaiting))
	must(t, env.Service.AddNote(ctx, staff, lease.ID, "Please send us the lease.\nAll pages, signed.", false))
	must(t, env.Service.AddNote(ctx, staff, lease.ID, "internal: ask Bob", true))

	h.Press("r")
	h.RequireView(unreadMark+" #1", "Waiting on you")
	h.Press("esc")
	h.RequireView("My requests (1 with news)")

	h.Press("m")
	// The latest update first: the answered request moved to the top.
	if h.m.list.rows[0].ID != lease.ID {
		t.Fatalf("rows in order %d, %d", h.m.list.rows[0].ID, h.m.list.rows[1].ID)
	}
	h.Press("enter")
	h.RequireView("Contract review · #1", "Status: Waiting on you", `Changed the status to "Waiting on you".`,
		"Please send us the lease.", "All pages, signed.", "Your legal team", unreadMark+" 2026-11-23 10:01")
	h.RefuseView("internal: ask Bob")
	if n, err := env.Service.UnreadRequests(ctx, portaltest.ClientActor(ann)); err != nil || n != 0 {
		t.Errorf("after opening: %d unread, %v", n, err)
	}
	h.Press("esc")
	if _, ok := h.m.cur.(*requestList); !ok {
		t.Fatalf("esc did not go back to the list:\n%s", h.View())
	}
	h.RefuseView(unreadMark + " #")
	h.Press("esc")
	h.RequireView("m  My requests")
	h.RefuseView("with news")
}

func TestAddNote(t *testing.T) {
	env, clk := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	contract, _ := addTypes(t, env)
	r := env.Submit(t, ann, contract.ID, "Lease for the shop", "", "", "Low")
	clk.Add(time.Hour)

	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("m", "enter")
	// n adds a note, as in the staff console (where a assigns).
	h.RequireView("n   add a note")
	h.Press("a")
	if _, ok := h.m.cur.(*requestPage); !ok {
		t.Fatalf("a left the request's page:\n%s", h.View())
	}
	h.Press("n")
	h.RequireView("Note on request #1", "enter  new line", "ctrl+s send")
	h.Press("ctrl+s")
	h.RequireView("This field is required.")
	h.Press("esc")
	if _, ok := h.m.cur.(*requestPage); !ok {
		t.Fatalf("esc from the note did not go back to the page:\n%s", h.View())
	}

	h.Press("n")
	h.Type("Please call me")
	h.Press("enter")
	h.Type("on Monday.")
	h.Press("ctrl+s")
	h.RequireView("Your note was sent to your legal team.", "You", "Please call me", "on Monday.")
	view, err := env.Service.RequestPage(context.Background(), portaltest.ClientActor(ann), r.ID)
	must(t, err)
	last := view.Events[len(view.Events)-1]
	if last.Kind != vocab.EventNote || last.Body != "Please call me\non Monday." || last.AuthorKind != vocab.ActorClient {
		t.Errorf("last event %+v", last)
	}

	// A note takes no more than the portal keeps: a longer paste is cut
	// to it, typing on adds nothing, and the note is accepted.
	h.Press("n")
	h.Paste(strings.Repeat("x", portal.MaxNoteLen+1))
	h.Type("yy")
	if n := utf8.RuneCountInString(h.m.cur.(*note).form.Value(portal.FieldNote)); n != portal.MaxNoteLen {
		t.Errorf("the note holds %d characters, want %d", n, portal.MaxNoteLen)
	}
	checkFits(t, h.View(), 80, 24)
	h.Press("ctrl+s")
	h.RefuseView("Too long")
	h.RequireView("Your note was sent to your legal team.")
	view, err = env.Service.RequestPage(context.Background(), portaltest.ClientActor(ann), r.ID)
	must(t, err)
	if last := view.Events[len(view.Events)-1]; len(view.Events) != 3 || last.Body != strings.Repeat("x", portal.MaxNoteLen) {
		t.Errorf("%d events, the last of %d characters", len(view.Events), utf8.RuneCountInString(last.Body))
	}
}

func TestLongThreadScrolls(t *testing.T) {
	ctx := context.Background()
	env, clk := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	contract, _ := addTypes(t, env)
	r := env.Submit(t, ann, contract.ID, "Lease for the shop", strings.Repeat("A line of detail.\n", 30), "", "Low")
	for i := range 20 {
		clk.Add(time.Minute)
		must(t, env.Service.AddNote(ctx, staff, r.ID, fmt.Sprintf("Note number %02d.", i), false))
	}
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("m", "enter")
	checkFits(t, h.View(), 80, 24)
	// Opened where the news starts, not at the top.
	h.RequireView("Note number 00", "pgup/pgdn")
	h.RefuseView("Lease for the shop")
	h.Press("home")
	h.RequireView("Lease for the shop")
	h.RefuseView("Note number 19")
	h.Press("end")
	h.RequireView("Note number 19")
	h.Press("pgup", "up", "k", "down", "j")
	checkFits(t, h.View(), 80, 24)
	for _, s := range [][2]int{{40, 12}, {200, 60}, {80, 24}} {
		h.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
		checkFits(t, h.View(), s[0], s[1])
	}
}

func TestListPagesAndFilter(t *testing.T) {
	ctx := context.Background()
	env, clk := newClockEnv(t, portaltest.RoomyQuotas())
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	_, docs := addTypes(t, env)
	const total = listPageSize + 7
	var last *portal.Request
	for i := range total {
		clk.Add(time.Minute)
		last = env.Submit(t, ann, docs.ID, fmt.Sprintf("Document %02d", i))
	}
	clk.Add(time.Minute)
	must(t, env.Service.SetRequestStatus(ctx, staff, last.ID, vocab.RequestDone))

	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("m")
	l := h.m.list
	if len(l.rows) != listPageSize {
		t.Fatalf("%d rows at first, want a page of %d", len(l.rows), listPageSize)
	}
	h.RequireView("Document 56", "Showing all requests")
	h.Press("pgdown")
	h.Press("end")
	if len(l.rows) != total {
		t.Fatalf("%d rows after scrolling to the end, want %d", len(l.rows), total)
	}
	h.Press("end")
	h.RequireView("Document 00")
	seen := map[uint64]bool{}
	for _, r := range l.rows {
		if seen[r.ID] {
			t.Errorf("request %d listed twice", r.ID)
		}
		seen[r.ID] = true
	}

	// s cycles through the statuses, then back to all.
	h.Press("s")
	h.RequireView(`Showing requests with status "New".`)
	if len(l.rows) != listPageSize {
		t.Errorf("new: %d rows", len(l.rows))
	}
	h.Press("s")
	h.RequireView(`Showing requests with status "In progress".`, "None of your requests has this status.")
	h.Press("s", "s")
	h.RequireView(`Showing requests with status "Done".`, "Document 56")
	if len(l.rows) != 1 {
		t.Errorf("done: %d rows", len(l.rows))
	}
	h.Press("s", "s")
	h.RequireView("Showing all requests.")
	if len(l.rows) != listPageSize {
		t.Errorf("all again: %d rows", len(l.rows))
	}
}

// addLongKind adds a kind with every field, several long, and many
// choices: taller than the screen.
func addLongKind(t *testing.T, env *portaltest.Env) {
	t.Helper()
	var specs []string
	for i := range 12 {
		specs = append(specs, fmt.Sprintf("A rather long question number %d about the matter: text", i))
	}
	var choices []string
	for i := range 30 {
		choices = append(choices, fmt.Sprintf("Option %d", i))
	}
	specs = append(specs, "Details: multiline, required", "When: date", "Which: choice("+strings.Join(choices, " | ")+"), required")
	env.AddRequestType(t, "A kind with many fields", specs...)
}

func TestRequestScreensFitAnySize(t *testing.T) {
	quit := map[string]string{"": "ctrl+c quit", "fr": "ctrl+c quitter"}
	for lang, wantQuit := range quit {
		env, clk := newClockEnv(t)
		requestData(t, env, clk, lang)
		addLongKind(t, env)
		screens := map[string]func(h *harness){
			"home":     func(h *harness) {},
			"language": func(h *harness) { h.Press("g") },
			"types":    func(h *harness) { h.Press("n") },
			"form": func(h *harness) {
				h.Press("n", "enter")
				h.Press("ctrl+s")
			},
			"long form": func(h *harness) {
				h.Press("n", "down", "enter")
				h.Press("ctrl+s") // errors on required fields far down
				h.Press("shift+tab")
			},
			"confirm": func(h *harness) {
				h.Press("n", "enter")
				h.Paste(strings.Repeat("word ", 30))
				h.Press("tab")
				h.Paste(strings.Repeat("line of text\n", 40))
				h.Press("tab", "tab", "right", "ctrl+s")
			},
			"list": func(h *harness) { h.Press("m") },
			"page": func(h *harness) { h.Press("m", "enter") },
			"note": func(h *harness) { h.Press("m", "enter", "n") },
		}
		for name, open := range screens {
			t.Run(name+"/"+lang, func(t *testing.T) {
				h := newHarness(t, env, "")
				h.logIn(annEmail)
				open(h)
				for _, s := range [][2]int{{80, 24}, {120, 40}, {60, 20}, {40, 12}, {20, 6}, {200, 60}, {1, 1}} {
					h.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
					checkFits(t, h.View(), s[0], s[1])
					requireClean(t, h.View())
				}
				h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
				lines := strings.Split(h.View(), "\n")
				help := strings.Join(lines[len(lines)-3:], "\n")
				if !strings.Contains(help, wantQuit) {
					t.Errorf("help cut at 80x24:\n%s", h.View())
				}
				if strings.Contains(h.View(), "[client.") || strings.Contains(h.View(), "[request.") {
					t.Errorf("a catalog key is missing:\n%s", h.View())
				}
			})
		}
	}
}

func TestLongThreadSaysEarlierEntriesAreLeftOut(t *testing.T) {
	env, _ := newClockEnv(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	s := newRequestPage(h.m.d, h.m.actor, 7, "", false)
	s.SetSize(76, 30)
	s.req = &portal.RequestView{
		Request: portal.Request{ID: 7, TypeName: "Contract review", Status: vocab.RequestNew},
		Events:  []portal.RequestEvent{{Kind: vocab.EventNote, AuthorKind: vocab.ActorStaff, Body: "The latest."}},
		Earlier: true,
	}
	s.layout()
	if v := s.View(); !strings.Contains(v, "Only the latest 1000 entries are shown here") || !strings.Contains(v, "The latest.") {
		t.Errorf("no word of the entries left out:\n%s", v)
	}
}

// With the global renderer set to colour, the request screens of a session
// whose terminal has none still draw no escape: every style they use, the
// table's, the text area's and the viewport's included, comes from the
// session's renderer.
func TestRequestScreensUseTheSessionRenderer(t *testing.T) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(prev) })

	env, clk := newClockEnv(t)
	requestData(t, env, clk, "")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	steps := [][]string{
		{}, {"g"}, {"esc", "n"}, {"enter"}, {"tab"}, {"tab", "tab", "right", "ctrl+s"},
		{"esc", "esc", "esc", "esc", "m"}, {"enter"}, {"n"},
	}
	for _, keys := range steps {
		h.Press(keys...)
		requireClean(t, h.View())
	}
	h.Type("A note")
	h.Press("enter") // the first line is drawn as text, the second as the cursor's
	h.Type("on two lines")
	requireClean(t, h.View())
}

// A page of the list asked for just before a request is opened is given
// up with the list, and asked for again on the way back. It used to reach
// the request's page, which dropped it, while the list kept waiting for
// it: scrolling then stopped at the first page until r.
func TestListLoadsOnAfterARequestOpenedMidLoad(t *testing.T) {
	for _, late := range []string{"on the page", "back on the list"} {
		t.Run("answer "+late, func(t *testing.T) {
			env, clk := newClockEnv(t, portaltest.RoomyQuotas())
			ann := env.AddActiveClient(t, annEmail, "Ann Smith")
			_, docs := addTypes(t, env)
			const total = 2*listPageSize + 20
			for i := range total {
				clk.Add(time.Minute)
				env.Submit(t, ann, docs.ID, fmt.Sprintf("Document %03d", i))
			}
			h := newHarness(t, env, "")
			h.logIn(annEmail)
			h.Press("m")
			l := h.m.list
			if len(l.rows) != listPageSize {
				t.Fatalf("%d rows at first, want %d", len(l.rows), listPageSize)
			}
			// The next page answers late, as from a busy database.
			holding := true
			h.Hold = func(msg tea.Msg) bool {
				d, ok := msg.(ui.Result[[]portal.Request])
				return holding && ok && d.Target() == l
			}
			h.Press("end") // near the end of the page: the next one is asked for
			if len(h.Held) != 1 || !l.run.Busy() {
				t.Fatalf("the next page was not asked for: %d held, busy %v", len(h.Held), l.run.Busy())
			}
			title := fmt.Sprintf("Document request · #%d", l.rows[l.tbl.Cursor()].ID)
			h.Press("enter") // before it answers
			if _, ok := h.m.cur.(*requestPage); !ok {
				t.Fatalf("enter did not open the request:\n%s", h.View())
			}
			h.RequireView(title)
			if l.run.Busy() {
				t.Error("the list still waits for its page while a request is shown")
			}
			holding = false
			answer := h.Held[0]
			h.Held = nil
			if late == "on the page" {
				h.Send(answer)
				h.RequireView(title)
			}
			h.Press("esc")
			if h.m.cur != l {
				t.Fatalf("esc did not go back to the same list:\n%s", h.View())
			}
			if late == "back on the list" {
				h.Send(answer) // an answer given up on is never taken for the new call's
			}
			if len(l.rows) != 2*listPageSize {
				t.Fatalf("%d rows back on the list, want the page given up on asked for again (%d)", len(l.rows), 2*listPageSize)
			}
			h.Press("end")
			h.Press("end")
			if len(l.rows) != total {
				t.Fatalf("%d rows after scrolling to the end, want %d", len(l.rows), total)
			}
			h.RequireView("Document 000")
			seen := map[uint64]bool{}
			for _, r := range l.rows {
				if seen[r.ID] {
					t.Errorf("request %d listed twice", r.ID)
				}
				seen[r.ID] = true
			}
		})
	}
}

// discardWords are what the question after a first Esc says, per
// language, and the help of its y.
var discardWords = map[string]struct{ note, request, help string }{
	"en": {"Discard your note? Its text is lost. y/n", "Discard this request? What you typed is lost. y/n", "y discard"},
	"fr": {"Abandonner votre note ? Son texte sera perdu. y/n",
		"Abandonner cette demande ? Ce que vous avez saisi sera perdu. y/n", "y abandonner"},
}

// discardHarness logs Ann in, in lang, with one request to write notes
// on and the kinds of request.
func discardHarness(t *testing.T, lang string) (*harness, *portaltest.Env, *portal.Client) {
	t.Helper()
	env, clk := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	contract, _ := addTypes(t, env)
	env.Submit(t, ann, contract.ID, "Lease for the shop", "", "", "Low")
	clk.Add(time.Hour)
	locale := ""
	if lang != "en" {
		locale = lang + "_FR.UTF-8"
	}
	h := newLocaleHarness(t, env, "", locale)
	h.logIn(annEmail)
	return h, env, ann
}

// requireWords fails the test unless the view holds want, wrapped or not.
func requireWords(t *testing.T, view, want string) {
	t.Helper()
	if !strings.Contains(strings.Join(strings.Fields(view), " "), want) {
		t.Fatalf("view lacks %q:\n%s", want, view)
	}
}

// refuseWords fails the test if the view holds bad, wrapped or not.
func refuseWords(t *testing.T, view, bad string) {
	t.Helper()
	if strings.Contains(strings.Join(strings.Fields(view), " "), bad) {
		t.Fatalf("view has %q:\n%s", bad, view)
	}
}

// helpLines is the help at the bottom of the frame.
func helpLines(view string) string {
	lines := strings.Split(view, "\n")
	return strings.Join(lines[max(0, len(lines)-3):], "\n")
}

// Esc on a note with text in it asks before throwing the text away: y
// does, n or Esc goes back to the text, any other key does nothing. An
// empty note is left at once.
func TestEscAsksBeforeDiscardingANote(t *testing.T) {
	for lang, w := range discardWords {
		t.Run(lang, func(t *testing.T) {
			h, env, ann := discardHarness(t, lang)
			h.Press("m", "enter", "n")
			n, ok := h.m.cur.(*note)
			if !ok {
				t.Fatalf("no note form:\n%s", h.View())
			}
			h.Type("   ")
			h.Press("esc") // nothing written: no question
			if _, ok := h.m.cur.(*requestPage); !ok {
				t.Fatalf("esc on an empty note did not go back at once:\n%s", h.View())
			}

			h.Press("n")
			n = h.m.cur.(*note)
			h.Type("Please call me")
			refuseWords(t, h.View(), w.note)
			h.Press("esc")
			if h.m.cur != n {
				t.Fatalf("the first esc left a note with text:\n%s", h.View())
			}
			requireWords(t, h.View(), w.note)
			h.RequireView("Please call me")
			if !strings.Contains(helpLines(h.View()), w.help) {
				t.Errorf("help does not say esc discards:\n%s", h.View())
			}
			checkFits(t, h.View(), 80, 24)
			h.Type("x") // not an answer: nothing happens
			requireWords(t, h.View(), w.note)
			h.Press("n") // keeps editing
			refuseWords(t, h.View(), w.note)
			h.Type(" on Monday")
			if got := n.form.Value(portal.FieldNote); got != "Please call me on Monday" {
				t.Errorf("note %q after typing on", got)
			}
			h.Press("esc") // asks again
			requireWords(t, h.View(), w.note)
			h.Press("esc") // no, too: keeps editing
			refuseWords(t, h.View(), w.note)
			h.Press("esc") // asks once more
			requireWords(t, h.View(), w.note)
			h.Press("y")
			if _, ok := h.m.cur.(*requestPage); !ok {
				t.Fatalf("y did not discard the note:\n%s", h.View())
			}
			view, err := env.Service.RequestPage(context.Background(), portaltest.ClientActor(ann), 1)
			must(t, err)
			if n := len(view.Events); n != 1 {
				t.Errorf("%d events after a discarded note, want 1", n)
			}
			h.Press("n")
			if got := h.m.cur.(*note).form.Value(portal.FieldNote); got != "" {
				t.Errorf("a discarded note came back: %q", got)
			}
		})
	}
}

// Esc while a note is being sent asks too, and the sending goes on: if it
// answers first the note was sent, not lost; y gives it up.
func TestEscWhileANoteIsSent(t *testing.T) {
	for _, answer := range []string{"before the y", "after it"} {
		t.Run("answer "+answer, func(t *testing.T) {
			h, _, _ := discardHarness(t, "en")
			h.Press("m", "enter", "n")
			n := h.m.cur.(*note)
			h.Type("Please call me")
			_, send := h.m.Update(uitest.Key("ctrl+s")) // the call is in flight
			h.Press("esc")
			if h.m.cur != n || !n.busy() {
				t.Fatalf("the first esc while sending left or gave up (busy %v):\n%s", n.busy(), h.View())
			}
			h.RequireView(discardWords["en"].note, "Checking…")
			if answer == "before the y" {
				h.Run(send)
				h.RequireView("Your note was sent to your legal team.", "Please call me")
				return
			}
			h.Press("y")
			if _, ok := h.m.cur.(*requestPage); !ok || n.busy() {
				t.Fatalf("y did not give the note up:\n%s", h.View())
			}
			h.Run(send) // given up on: its answer is not acted on
			if _, ok := h.m.cur.(*requestPage); !ok {
				t.Fatalf("an answer given up on moved the screen:\n%s", h.View())
			}
			h.RefuseView("Your note was sent")
		})
	}
}

// Esc on a request form with anything typed or chosen in it asks before
// throwing it away: y does, n or Esc goes back to the form, any other key
// does nothing. An empty form is left at once.
func TestEscAsksBeforeDiscardingARequest(t *testing.T) {
	for lang, w := range discardWords {
		t.Run(lang, func(t *testing.T) {
			h, _, _ := discardHarness(t, lang)
			h.Press("n", "enter")
			if _, ok := h.m.cur.(*requestForm); !ok {
				t.Fatalf("no request form:\n%s", h.View())
			}
			h.Press("tab", "tab")
			h.Press("esc") // nothing typed: no question
			if _, ok := h.m.cur.(*typeChooser); !ok {
				t.Fatalf("esc on an empty form did not go back at once:\n%s", h.View())
			}

			h.Press("enter")
			f := h.m.cur.(*requestForm)
			h.Type("Lease")
			h.Press("esc")
			if h.m.cur != f {
				t.Fatalf("the first esc left a form with text:\n%s", h.View())
			}
			requireWords(t, h.View(), w.request)
			h.RequireView("Lease")
			if !strings.Contains(helpLines(h.View()), w.help) {
				t.Errorf("help does not say esc discards:\n%s", h.View())
			}
			h.Press("tab") // not an answer: nothing happens
			requireWords(t, h.View(), w.request)
			h.Press("n") // keeps editing
			refuseWords(t, h.View(), w.request)
			h.Press("tab")
			if f.form.Focused() != portal.RequestFieldName(1) {
				t.Errorf("focus on %q after tab", f.form.Focused())
			}
			h.Press("esc", "y")
			if _, ok := h.m.cur.(*typeChooser); !ok {
				t.Fatalf("y did not discard the form:\n%s", h.View())
			}

			// A choice is work too.
			h.Press("enter")
			h.Press("shift+tab", "right")
			h.Press("esc")
			requireWords(t, h.View(), w.request)
			// Back from the review, the form still asks first.
			h.Press("tab") // on to Subject
			h.Type("Lease")
			h.Press("ctrl+s", "esc")
			if _, ok := h.m.cur.(*requestForm); !ok {
				t.Fatalf("esc on the review did not go back to the form:\n%s", h.View())
			}
			refuseWords(t, h.View(), w.request)
			h.Press("esc")
			requireWords(t, h.View(), w.request)
		})
	}
}

// On a form taller than the screen the question stays in sight, under
// the fields.
func TestDiscardQuestionInSightOnALongForm(t *testing.T) {
	env, clk := newClockEnv(t)
	requestData(t, env, clk, "")
	addLongKind(t, env)
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("n", "down", "enter")
	h.Type("An answer")
	for _, s := range [][2]int{{80, 24}, {60, 20}, {40, 12}} {
		t.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(t *testing.T) {
			h.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
			h.Press("esc")
			requireWords(t, h.View(), discardWords["en"].request)
			checkFits(t, h.View(), s[0], s[1])
			h.Press("n") // keeps editing
			refuseWords(t, h.View(), discardWords["en"].request)
		})
	}
}

// Drawing changes nothing: a screen drawn after every key draws the same
// frame as one drawn only at the end, and drawing twice draws the same.
// The long request form used to move its page in View.
func TestDrawingChangesNothing(t *testing.T) {
	steps := map[string][]string{
		"long form": {"n", "down", "enter", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab",
			"shift+tab", "shift+tab", "shift+tab", "shift+tab"},
		"long form asking": {"n", "down", "enter", "x", "shift+tab", "shift+tab", "esc", "tab"},
		"long form errors": {"n", "down", "enter", "ctrl+s", "shift+tab", "shift+tab", "tab"},
		"form":             {"n", "enter", "tab", "tab", "tab", "right", "shift+tab"},
		"confirm":          {"n", "enter", "x", "tab", "tab", "tab", "right", "ctrl+s", "end", "up"},
		"list":             {"m", "down", "down", "s", "s", "s", "s", "s", "down"},
		"page":             {"m", "down", "down", "enter", "home", "down", "pgdown", "up"},
		"note":             {"m", "enter", "n", "x", "esc"},
	}
	for name, keys := range steps {
		for _, s := range [][2]int{{80, 24}, {40, 12}} {
			t.Run(fmt.Sprintf("%s/%dx%d", name, s[0], s[1]), func(t *testing.T) {
				env, clk := newClockEnv(t)
				requestData(t, env, clk, "")
				addLongKind(t, env)
				drawn, undrawn := newHarness(t, env, ""), newHarness(t, env, "")
				for _, h := range []*harness{drawn, undrawn} {
					h.logIn(annEmail)
					h.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
				}
				for _, k := range keys {
					drawn.Press(k)
					if a, b := drawn.View(), drawn.View(); a != b {
						t.Fatalf("after %q, drawn twice:\n%s\nthen:\n%s", k, a, b)
					}
				}
				undrawn.Press(keys...)
				if a, b := drawn.View(), undrawn.View(); a != b {
					t.Errorf("drawn after every key:\n%s\ndrawn only at the end:\n%s", a, b)
				}
			})
		}
	}
}

// The portal checks the whole form when the person asks for the review,
// and every problem shows at once, each under its field, the first one
// focused: the form's own "required" and the portal's refusals together.
// The review opens only once there is none.
func TestRequestFormShowsEveryProblemAtOnce(t *testing.T) {
	env, _ := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	contract, _ := addTypes(t, env)
	h := newHarness(t, env, "")
	f := openForm(t, h)

	// Subject left blank, a date that does not exist, no urgency.
	h.Press("tab", "tab")
	h.Type("2026-02-30")
	h.Press("enter", "enter") // Enter on the last field asks for the review
	if h.m.cur != f {
		t.Fatalf("left the form:\n%s", h.View())
	}
	v := h.View()
	subject, date, urgency := strings.Index(v, "Subject"), strings.Index(v, "There is no such date as 2026-02-30;"), strings.Index(v, "Urgency")
	if date < 0 || strings.Count(v, "This field is required.") != 2 {
		t.Fatalf("not every problem shown:\n%s", v)
	}
	if first, last := strings.Index(v, "This field is required."), strings.LastIndex(v, "This field is required."); !(subject < first && first < strings.Index(v, "Details") && date < urgency && urgency < last) {
		t.Errorf("messages not under their fields:\n%s", v)
	}
	if got := f.form.Focused(); got != portal.RequestFieldName(0) {
		t.Errorf("focus on %q, want the first field with a problem", got)
	}
	checkFits(t, v, 80, 24)

	// The portal's refusals alone, two at once: the choice made is gone
	// from the kind meanwhile; the focus goes to the first of them.
	h.Type("Lease")
	h.Press("tab", "tab", "tab", "left") // Urgency: High
	h.RefuseView("This field is required.")
	editType(t, env, contract, "Subject: text, required", "Details: multiline", "Deadline: date", "Urgency: choice(Low | Normal | Medium), required")
	h.Press("ctrl+s")
	h.RequireView("There is no such date as 2026-02-30;", "Choose one of: Low, Normal, Medium.")
	if got := f.form.Focused(); got != portal.RequestFieldName(2) {
		t.Errorf("focus on %q, want the deadline", got)
	}
	// Fixed, the review opens; nothing was stored on the way.
	for range len("2026-02-30") {
		h.Press("backspace")
	}
	h.Type("2026-12-31")
	h.RefuseView("There is no such date")
	h.Press("tab", "left", "ctrl+s") // Normal
	h.RequireView("Check your request", "Lease", "2026-12-31", "Normal")
	if n := len(myRequests(t, env, ann)); n != 0 {
		t.Errorf("%d requests stored by the check", n)
	}
}

// The check runs off the Update loop with the spinner's line; keys other
// than Esc wait for it, and Esc gives it up, so its answer is dropped.
func TestRequestFormCheckRunsInTheBackground(t *testing.T) {
	_, _, h, f := atRequestForm(t)
	h.Type("Lease")
	h.Press("tab", "tab", "tab", "right")

	_, check := h.m.Update(uitest.Key("ctrl+s"))
	if h.m.cur != f || !f.busy() {
		t.Fatalf("the check did not start in the background (busy %v):\n%s", f.busy(), h.View())
	}
	h.RequireView("Checking…")
	h.Press("right", "ctrl+s") // waits: no second check, no change
	if got := f.form.Value(portal.RequestFieldName(3)); got != "Low" {
		t.Errorf("a key changed the form while checking: %q", got)
	}
	h.Run(check)
	if _, ok := h.m.cur.(*confirm); !ok {
		t.Fatalf("not on the review after the check:\n%s", h.View())
	}

	h.Press("esc") // back to the form, and check again, but give it up
	_, check = h.m.Update(uitest.Key("ctrl+s"))
	h.Press("esc")
	if h.m.cur != f || f.busy() {
		t.Fatalf("esc did not give the check up (busy %v):\n%s", f.busy(), h.View())
	}
	requireWords(t, h.View(), discardWords["en"].request)
	h.Run(check)
	if h.m.cur != f {
		t.Fatalf("a check given up on moved the screen:\n%s", h.View())
	}
}

// Each field takes no more than the portal keeps: typing stops at the
// limit, a longer paste is cut to it, and what was typed is accepted.
func TestRequestFormLengthLimits(t *testing.T) {
	env, _ := newClockEnv(t)
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	addTypes(t, env)
	h := newHarness(t, env, "")
	f := openForm(t, h)
	length := func(i int) int { return utf8.RuneCountInString(f.form.Value(portal.RequestFieldName(i))) }

	h.Type(strings.Repeat("s", portal.MaxTextValueLen+20))
	if n := length(0); n != portal.MaxTextValueLen {
		t.Errorf("typed subject holds %d characters, want %d", n, portal.MaxTextValueLen)
	}
	h.Press("tab")
	h.Paste(strings.Repeat("A long line of the letter.\n", 4000))
	h.Type("zz")
	if n := length(1); n != portal.MaxLongValueLen {
		t.Errorf("pasted details hold %d characters, want %d", n, portal.MaxLongValueLen)
	}
	h.Press("tab")
	h.Paste(strings.Repeat("2026-12-31", 100))
	if n := length(2); n != portal.MaxTextValueLen {
		t.Errorf("pasted date holds %d characters, want %d", n, portal.MaxTextValueLen)
	}
	for range portal.MaxTextValueLen {
		h.Press("backspace")
	}
	h.Press("tab", "right", "shift+tab", "shift+tab", "shift+tab")
	h.Paste(strings.Repeat("S", 100*1024)) // the subject is full already
	if n := length(0); n != portal.MaxTextValueLen {
		t.Errorf("subject holds %d characters after a second paste", n)
	}

	h.Press("ctrl+s")
	h.RefuseView("Too long")
	h.RequireView("Check your request")
	h.Press("enter")
	h.RequireView("Your request #1 was sent.")
	rs := myRequests(t, env, ann)
	view, err := env.Service.RequestPage(context.Background(), portaltest.ClientActor(ann), rs[0].ID)
	must(t, err)
	if n := utf8.RuneCountInString(view.Fields[0].Value); n != portal.MaxTextValueLen {
		t.Errorf("stored subject of %d characters", n)
	}
	if n := utf8.RuneCountInString(view.Fields[1].Value); n > portal.MaxLongValueLen || n < portal.MaxLongValueLen-2 {
		t.Errorf("stored details of %d characters", n)
	}
}

// pastedLines is a paste of many lines; the cursor ends after its last
// words.
func pastedLines() string {
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "Pasted line %02d\n", i)
	}
	return b.String() + "The very end"
}

// After any edit, a long paste included, a text area shows the line of
// its cursor, not lines from the middle; and the same whether or not the
// screen was drawn in between.
func TestTextAreaKeepsTheCursorInSight(t *testing.T) {
	for _, screen := range []string{"request", "note"} {
		t.Run(screen, func(t *testing.T) {
			env, clk := newClockEnv(t)
			ann := env.AddActiveClient(t, annEmail, "Ann Smith")
			contract, _ := addTypes(t, env)
			env.Submit(t, ann, contract.ID, "Lease for the shop", "", "", "Low")
			clk.Add(time.Hour)
			drawn, undrawn := newHarness(t, env, ""), newHarness(t, env, "")
			for _, h := range []*harness{drawn, undrawn} {
				h.logIn(annEmail)
				if screen == "request" {
					h.Press("n", "enter", "tab")
				} else {
					h.Press("m", "enter", "n")
				}
				h.Type("First words")
				h.Press("enter")
			}
			step := func(do func(h *harness)) {
				t.Helper()
				do(drawn)
				drawn.View()
				do(undrawn)
				if a, b := drawn.View(), undrawn.View(); a != b {
					t.Fatalf("drawn between the steps:\n%s\nnot drawn:\n%s", a, b)
				}
			}
			step(func(h *harness) { h.Paste(pastedLines()) })
			drawn.RequireView("Pasted line 59", "The very end")
			drawn.RefuseView("First words", "Pasted line 02")
			step(func(h *harness) { h.Type("!") })
			drawn.RequireView("The very end!")
			// Up past the top of the box: the box follows.
			step(func(h *harness) { h.Press("up", "up", "up", "up", "up", "up", "up", "up", "up", "up") })
			drawn.RequireView("Pasted line 50")
			drawn.RefuseView("The very end")
			step(func(h *harness) { h.Paste("\n" + pastedLines()) })
			drawn.RequireView("The very end")
			// A narrower screen wraps the lines anew; the cursor stays.
			step(func(h *harness) { h.Send(tea.WindowSizeMsg{Width: 40, Height: 24}) })
			drawn.RequireView("very end")
			checkFits(t, drawn.View(), 40, 24)
		})
	}
}

// An optional chooser may be left empty again with Backspace, and its
// help says so; a required one's does not.
func TestOptionalChoiceHelpSaysHowToClear(t *testing.T) {
	words := map[string]struct{ clear, choose, quit string }{
		"en": {"backspace clear", "←/→", "ctrl+c quit"},
		"fr": {"backspace effacer", "←/→", "ctrl+c quitter"},
	}
	for lang, w := range words {
		t.Run(lang, func(t *testing.T) {
			env, _ := newClockEnv(t)
			env.AddActiveClient(t, annEmail, "Ann Smith")
			env.AddRequestType(t, "Meeting", "Topic: text, required", "Room: choice(Small | Large), required", "Drinks: choice(Tea | Coffee)")
			locale := ""
			if lang != "en" {
				locale = lang + "_FR.UTF-8"
			}
			h := newLocaleHarness(t, env, "", locale)
			h.logIn(annEmail)
			h.Press("n", "enter")
			f := h.m.cur.(*requestForm)
			h.Press("tab") // Room, required
			if help := helpLines(h.View()); !strings.Contains(help, w.choose) || strings.Contains(help, "backspace") {
				t.Errorf("help of a required chooser:\n%s", help)
			}
			h.Press("tab") // Drinks, optional
			help := helpLines(h.View())
			if !strings.Contains(help, w.choose) || !strings.Contains(help, w.clear) || !strings.Contains(help, w.quit) {
				t.Errorf("help of an optional chooser:\n%s", help)
			}
			checkFits(t, h.View(), 80, 24)
			h.Press("right")
			if got := f.form.Value(portal.RequestFieldName(2)); got != "Tea" {
				t.Fatalf("chose %q", got)
			}
			h.Press("backspace")
			if got := f.form.Value(portal.RequestFieldName(2)); got != "" {
				t.Errorf("backspace left %q chosen", got)
			}
			h.Press("tab") // Topic, a line: no chooser's keys
			if help := helpLines(h.View()); strings.Contains(help, w.choose) || strings.Contains(help, "backspace") {
				t.Errorf("help of a line:\n%s", help)
			}
		})
	}
}

// A kind without a description takes one line in the list, not two with
// an empty one, and the chosen kind stays in sight however the lines add
// up.
func TestKindWithoutDescription(t *testing.T) {
	env, _ := newClockEnv(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	addTypes(t, env)
	noDescription := func(name string) {
		t.Helper()
		rt := env.AddRequestType(t, name, "Question: text")
		f, err := portal.ParseFieldSpec("Question: text")
		must(t, err)
		in := portal.TypeInput{Name: name, Fields: []portal.RequestField{f}}
		_, err = env.Service.EditRequestType(context.Background(), env.Admin(), rt.ID, in)
		must(t, err)
	}
	noDescription("Deposition") // between the two others
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("n")
	lines := strings.Split(h.View(), "\n")
	next := func(name string) string {
		for i, l := range lines[:len(lines)-1] {
			if strings.Contains(l, name) {
				return strings.TrimSpace(lines[i+1])
			}
		}
		t.Fatalf("no %s:\n%s", name, h.View())
		return ""
	}
	if got := next("Contract review"); got != "About Contract review" {
		t.Errorf("under Contract review: %q", got)
	}
	if got := next("Deposition"); got != "Document request" {
		t.Errorf("under a kind with no description: %q, want the next kind", got)
	}

	// Many kinds, some with no description, on a short screen.
	for i := range 20 {
		name := fmt.Sprintf("Kind %02d", i)
		if i%3 == 0 {
			noDescription(name)
		} else {
			env.AddRequestType(t, name, "Question: text")
		}
	}
	h.Press("esc", "n")
	h.Send(tea.WindowSizeMsg{Width: 60, Height: 14})
	c := h.m.cur.(*typeChooser)
	for i := range 2 * len(c.types) {
		key := "down"
		if i >= len(c.types) {
			key = "up"
		}
		h.Press(key)
		checkFits(t, h.View(), 60, 14)
		h.RequireView("> " + c.types[c.sel].Name)
	}
	// On the last kind the list fills its room: the kind above the first
	// one shown would not fit.
	h.Press("up")
	if c.sel != len(c.types)-1 {
		t.Fatalf("chosen %d", c.sel)
	}
	h.RequireView("> " + c.types[c.sel].Name)
	if c.offset == 0 || c.span(c.offset-1, c.sel) <= c.rows() {
		t.Errorf("list ends above its room: first shown %d", c.offset)
	}
}

// A note from the client on a request waiting on them brings it back to
// the legal team; the page says so as the client's answer, not as a
// change of status they made.
func TestAnswerBringsARequestBack(t *testing.T) {
	words := map[string]struct{ status, answered, changed, waiting string }{
		"en": {"Status: In progress", `Your answer brought the request back to "In progress".`, `Changed the status to "In progress"`, `Changed the status to "Waiting on you".`},
		"fr": {"Statut : En cours", "Votre réponse a remis la demande au statut « En cours ».", "Statut changé en « En cours »", "Statut changé en « En attente de vous »."},
	}
	for lang, w := range words {
		t.Run(lang, func(t *testing.T) {
			ctx := context.Background()
			h, env, ann := discardHarness(t, lang)
			must(t, env.Service.SetRequestStatus(ctx, staff, 1, vocab.RequestWaiting))
			h.Press("m", "enter")
			requireWords(t, h.View(), w.waiting)
			h.Press("n")
			h.Type("Here is the lease.")
			h.Press("ctrl+s")
			if _, ok := h.m.cur.(*requestPage); !ok {
				t.Fatalf("not back on the page:\n%s", h.View())
			}
			v := h.View()
			h.RequireView(w.status, "Here is the lease.")
			requireWords(t, v, w.answered)
			refuseWords(t, v, w.changed)
			// The answer comes after the note, as the client's own.
			flat := strings.Join(strings.Fields(v), " ")
			if strings.Index(flat, w.answered) < strings.Index(flat, "Here is the lease.") {
				t.Errorf("the answer is not after the note:\n%s", v)
			}
			checkFits(t, v, 80, 24)
			view, err := env.Service.RequestPage(ctx, portaltest.ClientActor(ann), 1)
			must(t, err)
			if last := view.Events[len(view.Events)-1]; view.Status != vocab.RequestInProgress || last.Kind != vocab.EventStatus || last.AuthorKind != vocab.ActorClient {
				t.Errorf("status %s, last event %+v", view.Status, last)
			}
		})
	}
}
