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
)

var ctrlS = tea.KeyMsg{Type: tea.KeyCtrlS}

// requestFixture adds a request type and an active client who filed one
// request of it; it returns the request and the client.
func requestFixture(t *testing.T, env *portaltest.Env) (*portal.Request, *portal.Client) {
	t.Helper()
	rt := env.AddRequestType(t, "Contract review", "Subject: text, required", "Details: multiline", "Urgency: choice(Low | High)")
	eve := env.AddActiveClient(t, "eve@example.com", "Eve Adams")
	r := env.Submit(t, eve, rt.ID, "Lease for the shop", "Ten years.\nBreak clause?", "high")
	return r, eve
}

// page reads a request as staff see it.
func page(t *testing.T, env *portaltest.Env, id uint64) *portal.RequestView {
	t.Helper()
	v, err := env.Service.RequestPage(context.Background(), env.Admin(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// requireClean fails when the view holds anything a terminal would act on.
func requireClean(t *testing.T, h *harness) {
	t.Helper()
	if r, ok := control(h.View(), true); ok {
		t.Fatalf("view holds %U:\n%q", r, h.View())
	}
}

// control is the first rune of s a terminal would act on, or that hides or
// reorders text; newlines are allowed when multiline.
func control(s string, multiline bool) (rune, bool) {
	for _, r := range s {
		if r == '\n' && multiline {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x200b && r <= 0x200f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x061c || r == 0xfeff {
			return r, true
		}
	}
	return 0, false
}

// TestRequestWorkflow: staff open a request from the queue, move it
// through in progress, waiting and done, write to the client and an
// internal note, assign it and unassign it, and go back to the queue on
// the same row.
func TestRequestWorkflow(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	for i, name := range []string{"ann", "sam"} {
		if _, err := env.Service.AddStaff(ctx, env.Admin(), name, []string{"admin", "support"}[i], staffKey(t, byte(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	r, eve := requestFixture(t, env)
	other := env.Submit(t, eve, r.TypeID, "Another matter", "", "low")
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 160, Height: 40})
	h.Press("2")
	h.RequireView("Another matter", "Lease for the shop", "eve@example.com")
	h.Press("down", "enter")
	h.RequireView("Request #1 · Contract review", "Eve Adams <eve@example.com>", "new · assigned to nobody",
		"Subject: Lease for the shop", "Details:", "    Ten years.", "Urgency: High", "submitted the request")

	// Each status has its own key, whatever the request's; done asks first.
	for _, step := range []struct {
		keys         []string
		status, word string
	}{
		{[]string{"2"}, vocab.RequestInProgress, "in progress"},
		{[]string{"3"}, vocab.RequestWaiting, "waiting"},
		{[]string{"4", "y"}, vocab.RequestDone, "done"},
	} {
		h.Press("s")
		h.RequireView("Move request #1 (now ", step.keys[0]+"  "+step.word)
		h.Press(step.keys...)
		h.RequireView("Request #1 is now "+step.word+"; the client was told.", "moved it to "+step.word)
		if got := page(t, env, r.ID).Status; got != step.status {
			t.Fatalf("status %s, want %s", got, step.status)
		}
	}
	// From done, only a reopening is offered; Esc leaves the chooser.
	h.Press("s")
	h.RequireView("2  in progress")
	h.RefuseView("1  new", "3  waiting", "4  done", "rejected")
	h.Press("esc")
	h.RequireView("History")

	// A note starts internal: one forgotten key never sends a remark
	// meant for colleagues to the client. Ctrl+T writes to the client, and
	// the form says so in capitals.
	h.Press("n")
	h.RequireView("Internal note: for staff only; the client never sees it.", "ctrl+s save for staff only")
	h.RefuseView("VISIBLE", "send to the client")
	h.Press("ctrl+t")
	h.RequireView("! VISIBLE TO THE CLIENT: Eve Adams <eve@example.com> reads this note and is told by email.",
		"ctrl+s send to the client", "ctrl+t make internal")
	h.RefuseView("Internal note")
	h.Type("Signed copy attached.")
	h.Press("enter")
	h.Type("Regards.")
	h.Send(ctrlS)
	h.RequireView("Note added to request #1; the client can read it.", "wrote to the client:", "    Signed copy attached.", "    Regards.")

	h.Press("n")
	h.RequireView("Internal note: for staff only")
	h.Press("ctrl+t", "ctrl+t") // there and back
	h.RequireView("Internal note: for staff only")
	h.Type("Check clause 12.")
	h.Send(ctrlS)
	h.RequireView("Internal note added to request #1", "[internal] wrote an internal note (staff only):", "Check clause 12.")

	h.Press("a")
	h.RequireView("Assign request #1 to:", "1  ann", "2  sam", "0  nobody (now)")
	h.Press("2")
	h.RequireView("Request #1 is assigned to sam.", "done · assigned to sam", "[internal] assigned it to sam")
	h.Press("a")
	h.RequireView("2  sam (now)")
	h.Press("0")
	h.RequireView("Request #1 is assigned to nobody now.", "assigned it to nobody")

	v := page(t, env, r.ID)
	var notes []portal.RequestEvent
	for _, e := range v.Events {
		if e.Kind == vocab.EventNote {
			notes = append(notes, e)
		}
	}
	if v.Status != vocab.RequestDone || v.Assignee != "" || len(notes) != 2 ||
		notes[0].Body != "Signed copy attached.\nRegards." || notes[0].Internal || notes[0].Author != "ann" ||
		notes[1].Body != "Check clause 12." || !notes[1].Internal {
		t.Fatalf("request %+v, notes %+v", v.Request, notes)
	}
	env.LastMail(t, "eve@example.com", portal.MailRequestUpdate)

	// Back to the queue, on the same request, its row up to date.
	h.Press("esc")
	h.RequireView("done", "Lease for the shop")
	q := h.m.tabs[1].(*requests)
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("cursor on %d, want %d (other is %d)", row.ID, r.ID, other.ID)
	}
}

// TestRequestQueueFilters: status, type, assignee and client filters, each
// read by the portal; an unknown client says so.
func TestRequestQueueFilters(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	r, _ := requestFixture(t, env)
	doc := env.AddRequestType(t, "Document request", "Document: text, required")
	bob := env.AddActiveClient(t, "bob@example.com", "Bob Stone")
	env.Submit(t, bob, doc.ID, "Certificate")
	if err := env.Service.SetRequestStatus(ctx, env.Admin(), r.ID, vocab.RequestInProgress); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 160, Height: 40})
	h.Press("2")
	h.RequireView("Lease for the shop", "Certificate")

	h.Press("s") // new
	h.RequireView("Status: new", "Certificate")
	h.RefuseView("Lease for the shop")
	h.Press("s") // in progress
	h.RequireView("Status: in progress", "Lease for the shop")
	h.RefuseView("Certificate")
	for range len(vocab.RequestStatuses()) - 1 {
		h.Press("s")
	}
	h.RequireView("Status: all")

	h.Press("t", "t") // types by name: Contract review, Document request
	h.RequireView(`type: "Document request"`, "Certificate")
	h.RefuseView("Lease for the shop")
	h.Press("t")
	h.RequireView("type: all", "Lease for the shop")

	h.Press("a") // mine: nothing is assigned to ann
	h.RequireView("assignee: mine", "No requests match.")
	h.Press("a") // nobody
	h.RequireView("assignee: nobody", "Lease for the shop", "Certificate")
	h.Press("a")
	h.RequireView("assignee: all")

	h.Press("/")
	h.Type("bob@example.com")
	h.Press("enter")
	h.RequireView(`client: "bob@example.com"`, "Certificate")
	h.RefuseView("Lease for the shop")
	h.Press("/")
	h.Type("x")
	h.Press("enter")
	h.RequireView("No client with the email bob@example.comx.")
	h.Press("/", "esc")
	h.RequireView("client: any", "Lease for the shop", "Certificate")
}

// TestRequestQueuePagingByKey: pages load by key as the cursor moves, and
// only a few stay in memory.
func TestRequestQueuePagingByKey(t *testing.T) {
	env := portaltest.New(t, portal.WithClock(func() time.Time { return fixedNow }), portaltest.RoomyQuotas())
	r, eve := requestFixture(t, env)
	for i := range 10 {
		env.Submit(t, eve, r.TypeID, "Matter "+string(rune('A'+i)), "", "low")
	}
	h := newHarness(t, env, adminActor)
	h.Press("2")
	l := h.m.tabs[1].(*requests).list
	l.size = 2
	h.Send(noticeMsg{})
	for range 10 {
		h.Press("down")
	}
	h.RequireView("Lease for the shop")
	if len(l.pages) > maxPages || l.lo == 0 {
		t.Fatalf("%d pages in memory from page %d", len(l.pages), l.lo)
	}
	// A refresh down there keeps the cursor on the same request.
	h.Send(noticeMsg{})
	if row, _ := l.selected(); row.ID != r.ID {
		t.Fatalf("after a refresh the cursor is on %d", row.ID)
	}
	// At the first row loaded, a key loads the page before: a few more.
	for range 15 {
		h.Press("up")
	}
	h.RequireView("Matter J")
	if row, _ := l.selected(); row.Summary != "Matter J" {
		t.Fatalf("at the top the cursor is on %q", row.Summary)
	}
}

// onOlderOfTwo is the queue of two requests of one client, the cursor on
// the older, r.
func onOlderOfTwo(t *testing.T) (*harness, *portaltest.Env, *portal.Request, *portal.Client) {
	t.Helper()
	env := newEnv(t)
	r, eve := requestFixture(t, env)
	env.Submit(t, eve, r.TypeID, "Second matter", "", "low")
	h := newHarness(t, env, adminActor)
	h.Press("2", "down")
	return h, env, r, eve
}

// TestRequestsRefreshKeepsTheCursor: the queue picks up new requests by
// itself while shown, and the cursor stays on the request the person was
// looking at, so Enter opens the one they saw.
func TestRequestsRefreshKeepsTheCursor(t *testing.T) {
	h, env, r, eve := onOlderOfTwo(t)
	q := h.m.tabs[1].(*requests)
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("selected %d", row.ID)
	}
	env.Submit(t, eve, r.TypeID, "Third matter", "", "low") // newest: first row
	h.Send(refreshMsg{owner: owner{q}, seq: q.timer.seq})
	h.RequireView("Third matter")
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("after the refresh the cursor is on %d", row.ID)
	}
	h.Press("enter")
	h.RequireView("Request #1 · Contract review")
}

// TestRequestLongThreadScrolls: at 80x24 a long thread scrolls, and after
// an action the newest entry is in sight.
func TestRequestLongThreadScrolls(t *testing.T) {
	env := newEnv(t)
	r, _ := requestFixture(t, env)
	for i := range 12 {
		if err := env.Service.AddNote(context.Background(), env.Admin(), r.ID, "Note number "+string(rune('a'+i)), i%2 == 1); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.Press("2", "enter")
	h.RequireView("Subject: Lease for the shop", "Lines 1–")
	h.RefuseView("Note number l")
	h.Press("end")
	h.RequireView("Note number l")
	h.RefuseView("Subject: Lease")
	h.Press("home")
	h.RequireView("Subject: Lease")
	h.Press("pgdown")
	h.RefuseView("Subject: Lease")
	h.Press("home", "n")
	h.Type("The newest note.")
	h.Send(ctrlS)
	h.RequireView("Internal note added to request #1", "The newest note.")
	requireWidth(t, h, 80)
}

// requireWidth fails when a line of the view is wider than w columns.
func requireWidth(t *testing.T, h *harness, w int) {
	t.Helper()
	for _, l := range strings.Split(h.View(), "\n") {
		if n := len([]rune(l)); n > w {
			t.Fatalf("line of %d columns: %q", n, l)
		}
	}
}

// TestNoteFormHostileInput: an empty note and a paste too long get a clear
// message; control characters and escape sequences, typed or pasted, are
// dropped as in every form of the portal (ui.CleanKey), so that neither
// the view nor the portal ever gets one: the one note sent, made of
// hostile pastes, is stored clean.
func TestNoteFormHostileInput(t *testing.T) {
	env := newEnv(t)
	r, _ := requestFixture(t, env)
	before := len(page(t, env, r.ID).Events)
	h := newHarness(t, env, supportActor)
	h.Press("2", "enter", "n")
	form := h.m.current().(*noteForm)

	h.Send(ctrlS)
	h.RequireView("! Required.")
	h.Type("   ")
	h.Press("enter")
	h.Send(ctrlS)
	h.RequireView("! Required.")
	form.area.setValue("")

	hostile := []struct{ paste, want string }{
		{"\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"\x1b]0;pwned\x07", "]0;pwned"},
		{"bell\x07", "bell"},
		{"\x1b\x07\u009b\u202e", ""}, // nothing left: nothing goes in
		{"c1 \u009b2J", "c1 2J"},
		{"rtl \u202etxt", "rtl txt"},
		{"zw\u200b \ufeffbom", "zw bom"},
		{"nul\x00", "nul"},
	}
	for _, tc := range hostile {
		h.Paste(tc.paste)
		if v := form.area.value(); v != tc.want {
			t.Fatalf("paste %q left %q, want %q", tc.paste, v, tc.want)
		}
		h.RefuseView("pasted text")
		requireClean(t, h)
		form.area.setValue("")
	}
	h.Paste(strings.Repeat("x", 100*1024))
	h.RequireView("The pasted text is too long: this field holds at most 5000 characters; nothing was pasted.")
	if form.area.value() != "" {
		t.Fatal("a huge paste was cut in")
	}
	// Typed runes are cleaned the same way; a paste of plain lines (CRLF,
	// tabs) goes in.
	h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a\x1b[2Jb")})
	if v := form.area.value(); v != "a[2Jb" {
		t.Fatalf("typed %q", v)
	}
	form.area.setValue("")
	h.Paste("one\r\ntwo\tthree")
	h.RefuseView("pasted text")
	if v := form.area.value(); v != "one\ntwo three" {
		t.Fatalf("pasted %q", v)
	}
	// More than the portal takes, typed: the portal's refusal, beside the text.
	form.area.setValue("")
	h.Paste(strings.Repeat("y", portal.MaxNoteLen))
	h.Type("z")
	h.Send(ctrlS)
	h.RequireView("! Too long: at most 5000 characters.")
	requireClean(t, h)
	if got := len(page(t, env, r.ID).Events); got != before {
		t.Fatalf("%d events, want %d: something was stored", got, before)
	}

	// Every hostile paste at once, one a line, sent: what the portal
	// stores is what the form showed, without a control character.
	form.area.setValue("")
	var pastes, wants []string
	for _, tc := range hostile {
		pastes, wants = append(pastes, tc.paste), append(wants, tc.want)
	}
	h.Paste(strings.Join(pastes, "\r\n"))
	requireClean(t, h)
	h.Send(ctrlS)
	h.RequireView("Internal note added to request #1")
	requireClean(t, h)
	events := page(t, env, r.ID).Events
	if len(events) != before+1 {
		t.Fatalf("%d events, want %d", len(events), before+1)
	}
	body := events[len(events)-1].Body
	if r, bad := control(body, true); bad || body != strings.Join(wants, "\n") {
		t.Fatalf("stored %q (control %U), want %q", body, r, strings.Join(wants, "\n"))
	}
}

// TestRequestTypesAddEditDisable: admins add a type with its fields one a
// line, edit it, disable and enable it.
func TestRequestTypesAddEditDisable(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	h := newHarness(t, env, adminActor)
	h.Press("6")
	h.RequireView("Request types", "t  Manage request types")
	h.Press("t")
	h.RequireView("No request type yet")
	h.Press("a")
	h.Type("Will")
	h.Press("enter")
	h.Type("Drafting a will")
	h.Press("enter")
	h.Type("Testator: text, required")
	h.Press("enter")
	h.Type("Urgency: choice(Low | Normal | High)")
	h.Send(ctrlS)
	h.RequireView(`The request type "Will" is added.`, "Will", "enabled", "Drafting a will")
	ts, err := env.Service.RequestTypes(ctx, env.Admin())
	if err != nil || len(ts) != 1 {
		t.Fatalf("types %+v, %v", ts, err)
	}
	fs := ts[0].Fields
	if len(fs) != 2 || fs[0].Label != "Testator" || !fs[0].Required || fs[1].Kind != vocab.FieldChoice || len(fs[1].Choices) != 3 {
		t.Fatalf("fields %+v", fs)
	}

	h.Press("e")
	h.RequireView(`Edit the request type "Will"`, "Testator: text, required", "Urgency: choice(Low | Normal | High)")
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlU}) // clears the name
	h.Type("Last will")
	h.Press("tab", "tab")
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlEnd})
	h.Press("enter")
	h.Type("Witnesses: multiline")
	h.Send(ctrlS)
	h.RequireView(`The request type "Last will" is saved.`, "Last will")
	ts, _ = env.Service.RequestTypes(ctx, env.Admin())
	if fs := ts[0].Fields; ts[0].Name != "Last will" || len(fs) != 3 || fs[2].Label != "Witnesses" {
		t.Fatalf("after the edit: %+v %+v", ts[0], fs)
	}

	h.Press("d")
	h.RequireView(`Disable the request type "Last will"?`)
	h.Press("n")
	h.Press("d", "y")
	h.RequireView(`The request type "Last will" is disabled.`, "disabled")
	if ts, _ = env.Service.RequestTypes(ctx, env.Admin()); !ts[0].Disabled {
		t.Fatal("not disabled")
	}
	h.Press("d")
	h.RequireView(`The request type "Last will" is enabled again.`)
	if ts, _ = env.Service.RequestTypes(ctx, env.Admin()); ts[0].Disabled {
		t.Fatal("not enabled")
	}
	h.Press("esc")
	h.RequireView("Now: off")
}

// TestTypeFormHostileInput: an empty form, huge pastes and lines the
// portal cannot read get a clear message beside the field, and nothing is
// stored; control characters and escape sequences, pasted, are dropped as
// in every form, so that no raw escape shows and the type saved from
// hostile pastes is stored clean.
func TestTypeFormHostileInput(t *testing.T) {
	env := newEnv(t)
	h := newHarness(t, env, adminActor)
	h.Press("6", "t", "a")
	form := h.m.current().(*typeForm)

	h.Send(ctrlS)
	h.RequireView("! Required.")
	if form.focus != 0 {
		t.Fatalf("focus on %d after a refusal of the name", form.focus)
	}
	for _, tc := range []struct{ paste, want string }{
		{"\x1b[31mWill", "[31mWill"},
		{"Will\x1b]0;x\x07", "Will]0;x"},
		{"Wi\u202ell", "Will"},
		{"\u009bWill", "Will"},
		{"Last\r\nwill", "Lastwill"}, // one line: line breaks go too
	} {
		h.Paste(tc.paste)
		if form.name.Value() != tc.want {
			t.Fatalf("name %q after a paste of %q, want %q", form.name.Value(), tc.paste, tc.want)
		}
		h.RefuseView("pasted text")
		requireClean(t, h)
		form.name.SetValue("")
	}
	h.Paste(strings.Repeat("n", portal.MaxTypeNameLen+1))
	h.RequireView("this field holds at most 100 characters")
	if form.name.Value() != "" {
		t.Fatal("a paste too long was cut in")
	}
	h.Type("Will")
	h.RefuseView("pasted text")
	h.Press("tab")
	h.Paste("desc\x1b[2J")
	if form.desc.Value() != "desc[2J" {
		t.Fatalf("description %q", form.desc.Value())
	}
	h.Press("tab")
	h.Paste(strings.Repeat("Field: text\n", 5000))
	h.RequireView("this field holds at most 20000 characters")
	if form.fields.value() != "" {
		t.Fatal("a huge paste was cut in")
	}
	h.Paste("\x1b[1mBold: text")
	if form.fields.value() != "[1mBold: text" {
		t.Fatalf("fields %q", form.fields.value())
	}
	requireClean(t, h)

	// The portal reads the lines and says what is wrong, beside Fields.
	for _, tc := range []struct{ fields, want string }{
		{"", "A request type needs at least one field."},
		{"garbage", `Cannot read the field "garbage"`},
		{"Urgency: choice(Low)", `The choice field "Urgency" needs 2 to 50 choices`},
		{"A: text\na: date", `Two fields are named "a"`},
		{strings.Repeat("F: text\n", 1) + strings.Repeat("x", 101) + ": text", "Too long: at most 100 characters."},
	} {
		form.fields.setValue(tc.fields)
		h.Send(ctrlS)
		h.RequireView(tc.want)
		if form.focus != 2 {
			t.Fatalf("%q: focus on %d", tc.fields, form.focus)
		}
		requireClean(t, h)
	}
	var many []string
	for i := range portal.MaxTypeFields + 1 {
		many = append(many, "F"+string(rune('a'+i%26))+string(rune('a'+i/26))+": text")
	}
	form.fields.setValue(strings.Join(many, "\n"))
	h.Send(ctrlS)
	h.RequireView("A request type has at most 30 fields.")

	if ts, _ := env.Service.RequestTypes(context.Background(), env.Admin()); len(ts) != 0 {
		t.Fatalf("stored %+v", ts)
	}

	// Saved from hostile pastes: stored as the form showed it, clean.
	form.fields.setValue("")
	h.Paste("Sub\u202eject\x1b[0m: text\x07\r\nNotes: multiline")
	h.Send(ctrlS)
	h.RequireView(`The request type "Will" is added.`)
	requireClean(t, h)
	ts, err := env.Service.RequestTypes(context.Background(), env.Admin())
	if err != nil || len(ts) != 1 {
		t.Fatalf("types %+v, %v", ts, err)
	}
	fs := ts[0].Fields
	if ts[0].Name != "Will" || ts[0].Description != "desc[2J" || len(fs) != 2 || fs[0].Label != "Subject[0m" || fs[1].Label != "Notes" {
		t.Fatalf("stored %+v with fields %+v", ts[0], fs)
	}
	stored := []string{ts[0].Name, ts[0].Description}
	for _, f := range ts[0].Fields {
		stored = append(stored, portal.FormatFieldSpec(f))
	}
	for _, v := range stored {
		if r, bad := control(v, false); bad {
			t.Fatalf("stored %q holds %U", v, r)
		}
	}
}

// TestSupportGetsNoTypesEditor: support staff work on requests but have no
// Settings tab, so no way to the types; were the screen shown anyway, its
// keys say the role does not allow them, as the portal would.
func TestSupportGetsNoTypesEditor(t *testing.T) {
	env := newEnv(t)
	requestFixture(t, env)
	h := newHarness(t, env, supportActor)
	h.RefuseView("Settings")
	h.Press("2")
	h.RequireView("Lease for the shop")
	h.RefuseView("request types", "add type")
	h.Send(pushMsg{newTypesScreen(h.m.d)})
	h.RequireView("Contract review")
	h.Press("a")
	h.RequireView(refusal)
	h.Press("d")
	h.RequireView(refusal)
	if ts, _ := env.Service.RequestTypes(context.Background(), env.Admin()); len(ts) != 1 || ts[0].Disabled {
		t.Fatalf("types %+v", ts)
	}
}

// TestHostileRequestShowsAsText: a summary, fields, an author and a note
// holding escape sequences show sanitized in the queue and the request.
func TestHostileRequestShowsAsText(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	r, eve := requestFixture(t, env)
	evil := "\x1b]0;pwned\x07\x1b[31mEvil\u202e"
	bad := &store.Request{ClientID: eve.ID, TypeID: r.TypeID, TypeName: evil, Summary: evil,
		Fields: `[{"label":"\u001b[2JL","kind":"multiline","value":"a\u001b[1A\nb\u009b"}]`, Status: vocab.RequestNew,
		Assignee: evil, CreatedAt: fixedNow, UpdatedAt: fixedNow, ClientUpdatedAt: fixedNow, ClientSeenAt: fixedNow}
	if err := env.Store.CreateRequest(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddRequestEvent(ctx, &store.RequestEvent{RequestID: bad.ID, At: fixedNow, Kind: vocab.EventNote,
		AuthorKind: vocab.ActorClient, Author: evil, Body: evil + "\nline two\x1b[0m"}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 200, Height: 50})
	h.Press("2")
	h.RequireView("[31mEvil")
	requireClean(t, h)
	h.Press("enter")
	h.RequireView("[2JL:", "a[1A", "line two[0m")
	requireClean(t, h)
	h.Press("a")
	requireClean(t, h)
}

// TestRequestHistorySaysEarlierEntriesAreLeftOut: when the portal sends
// only the latest portal.MaxThread entries, the history says so at its top.
func TestRequestHistorySaysEarlierEntriesAreLeftOut(t *testing.T) {
	env := newEnv(t)
	r, _ := requestFixture(t, env)
	h := newHarness(t, env, adminActor)
	h.Press("2", "enter")
	h.RequireView("History", "submitted the request")
	h.RefuseView("Only the latest")

	s := h.m.current().(*requestDetail)
	v := page(t, env, r.ID)
	v.Earlier = true
	h.Send(answer(&s.load, s, v, nil))
	note := "Only the latest 1000 entries are shown; the earlier ones are left out."
	h.RequireView(note)
	view := h.View()
	if i, j, k := strings.Index(view, "History"), strings.Index(view, note), strings.Index(view, "submitted the request"); !(i < j && j < k) {
		t.Fatalf("the note is not at the top of the history:\n%s", view)
	}
}

// TestRequestQueueNarrow: below 100 columns the queue leaves out the Type
// column, so that the client's email, the assignee and the summary can be
// read; wider, every column is back, and the cursor stays on its row
// either way.
func TestRequestQueueNarrow(t *testing.T) {
	h, _, r, _ := onOlderOfTwo(t)
	wide := []string{" Type ", "Contract r", "eve@example.com", "Lease for the shop"}
	h.RequireView(wide...)

	h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.RequireView(" ID ", " Status ", " Client ", " Assignee ", " Updated ", " Summary ", "eve@example.com", "Lease for the",
		"03-02 09:30")
	h.RefuseView(" Type ", "Contract")
	q := h.m.tabs[1].(*requests)
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("narrow, the cursor is on %d", row.ID)
	}
	requireWidth(t, h, 80)

	h.Send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.RequireView(wide...)
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("wide again, the cursor is on %d", row.ID)
	}
}

// TestListErrorForgetsRows: a list whose query fails shows the error in
// place of its rows, and no key acts on a row no longer shown; the next
// load brings them back.
func TestListErrorForgetsRows(t *testing.T) {
	env := newEnv(t)
	requestFixture(t, env)
	addClients(t, env, [3]string{"ann@example.com", "Ann Smith", ""})
	h := newHarness(t, env, adminActor)
	c := h.m.tabs[0].(*clients)
	h.RequireView("Ann Smith")
	h.Send(answer(&c.list.run, c, listPage[portal.ClientSummary]{refresh: true}, portal.ErrForbidden))
	h.RequireView("! " + refusal)
	h.RefuseView("Ann Smith")
	if _, ok := c.list.selected(); ok {
		t.Fatal("a client is selected under the error")
	}
	h.Press("enter")
	h.RefuseView("Recent events")

	h.Press("2")
	h.RequireView("Lease for the shop")
	q := h.m.tabs[1].(*requests)
	h.Send(answer(&q.list.run, q, listPage[portal.QueueRow]{refresh: true}, portal.ErrForbidden))
	h.RequireView("! " + refusal)
	h.Press("enter")
	h.RefuseView("Request #1")
	h.Send(refreshMsg{owner: owner{q}, seq: q.timer.seq})
	h.RequireView("Lease for the shop")
	h.RefuseView(refusal)
}

// TestTypeEditFromAStaleRead: another admin saves the type while this one
// has it open; saving then says so rather than undoing their change.
func TestTypeEditFromAStaleRead(t *testing.T) {
	env := portaltest.New(t) // the real clock: each save gets its own time
	ctx := context.Background()
	rt := env.AddRequestType(t, "Will", "Testator: text, required")
	h := newHarness(t, env, adminActor)
	h.Press("6", "t", "e")
	h.RequireView(`Edit the request type "Will"`)
	time.Sleep(time.Millisecond)
	f, _ := portal.ParseFieldSpec("Testator: text")
	if _, err := env.Service.EditRequestType(ctx, env.Admin(), rt.ID, portal.TypeInput{Name: "Will (theirs)", Fields: []portal.RequestField{f}}); err != nil {
		t.Fatal(err)
	}
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.Type("Will (mine)")
	h.Send(ctrlS)
	h.RequireView("Someone else changed the request type")
	if got, _ := env.Service.RequestType(ctx, env.Admin(), rt.ID); got.Name != "Will (theirs)" {
		t.Fatalf("their change was undone: %q", got.Name)
	}
}

// TestListDropsAnswerOfQueryGivenUp: the answer of a list query given up
// for a newer one is dropped when it comes late: the rows shown stay the
// newer query's.
func TestListDropsAnswerOfQueryGivenUp(t *testing.T) {
	env := newEnv(t)
	addClients(t, env, [3]string{"ann@example.com", "Ann Smith", ""})
	h := newHarness(t, env, adminActor)
	h.RequireView("Ann Smith")
	h.Hold = func(msg tea.Msg) bool { _, ok := msg.(pageMsg); return ok }
	h.Press("s") // invited: Ann
	h.Press("s") // awaiting approval: no one
	h.Hold = nil
	if len(h.Held) != 2 {
		t.Fatalf("%d answers held, want 2", len(h.Held))
	}
	invited, awaiting := h.Held[0], h.Held[1]
	h.Send(awaiting)
	h.RequireView("No clients match.")
	h.RefuseView("Ann Smith")
	h.Send(invited)
	h.RequireView("No clients match.")
	h.RefuseView("Ann Smith")
}
