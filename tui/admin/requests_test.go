package admin

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/store"
)

var ctrlS = tea.KeyMsg{Type: tea.KeyCtrlS}

// requestFixture adds a request type and an active client who filed one
// request of it; it returns the request and the client.
func requestFixture(t *testing.T, env *portaltest.Env) (*store.Request, *store.Client) {
	t.Helper()
	rt := env.AddRequestType(t, "Contract review", "Subject: text, required", "Details: multiline", "Urgency: choice(Low | High)")
	eve := env.AddActiveClient(t, "eve@example.com", "Eve Adams")
	r := submit(t, env, eve, rt.ID, "Lease for the shop", "Ten years.\nBreak clause?", "high")
	return r, eve
}

func submit(t *testing.T, env *portaltest.Env, c *store.Client, typeID uint64, values ...string) *store.Request {
	t.Helper()
	r, err := env.Service.SubmitRequest(context.Background(), portaltest.ClientActor(c), typeID, values)
	if err != nil {
		t.Fatal(err)
	}
	return r
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
	v := h.View()
	for _, r := range v {
		if r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("view holds %U:\n%q", r, v)
		}
	}
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
	other := submit(t, env, eve, r.TypeID, "Another matter", "", "low")
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 160, Height: 40})
	h.Press("2")
	h.RequireView("Another matter", "Lease for the shop", "eve@example.com")
	h.Press("down", "enter")
	h.RequireView("Request #1 · Contract review", "Eve Adams <eve@example.com>", "new · assigned to nobody",
		"Subject: Lease for the shop", "Details:", "    Ten years.", "Urgency: High", "submitted the request")

	for _, step := range []struct{ key, status, word string }{
		{"1", store.RequestInProgress, "in progress"},
		{"1", store.RequestWaiting, "waiting"},
		{"2", store.RequestDone, "done"},
	} {
		h.Press("s")
		h.RequireView("Move request #1 (now ", step.key+"  "+step.word)
		h.Press(step.key)
		h.RequireView("Request #1 is now "+step.word+"; the client was told.", "moved it to "+step.word)
		if got := page(t, env, r.ID).Status; got != step.status {
			t.Fatalf("status %s, want %s", got, step.status)
		}
	}
	// From done, only a reopening is offered; Esc leaves the chooser.
	h.Press("s")
	h.RequireView("1  in progress")
	h.RefuseView("2  done", "2  waiting", "rejected")
	h.Press("esc")
	h.RequireView("History")

	h.Press("n")
	h.RequireView("Visible to the client, Eve Adams <eve@example.com>")
	h.Type("Signed copy attached.")
	h.Press("enter")
	h.Type("Regards.")
	h.Send(ctrlS)
	h.RequireView("Note added to request #1; the client can read it.", "wrote to the client:", "    Signed copy attached.", "    Regards.")

	h.Press("n", "ctrl+t")
	h.RequireView("INTERNAL: for staff only")
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
	var notes []store.RequestEvent
	for _, e := range v.Events {
		if e.Kind == store.EventNote {
			notes = append(notes, e)
		}
	}
	if v.Status != store.RequestDone || v.Assignee != "" || len(notes) != 2 ||
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
	submit(t, env, bob, doc.ID, "Certificate")
	if err := env.Service.SetRequestStatus(ctx, env.Admin(), r.ID, store.RequestInProgress); err != nil {
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
	for range len(store.RequestStatuses()) - 1 {
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
	env := newEnv(t)
	r, eve := requestFixture(t, env)
	for i := range 10 {
		submit(t, env, eve, r.TypeID, "Matter "+string(rune('A'+i)), "", "low")
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

// TestRequestsRefreshKeepsTheCursor: the queue picks up new requests by
// itself while shown, and the cursor stays on the request the person was
// looking at, so Enter opens the one they saw.
func TestRequestsRefreshKeepsTheCursor(t *testing.T) {
	env := newEnv(t)
	r, eve := requestFixture(t, env)
	submit(t, env, eve, r.TypeID, "Second matter", "", "low")
	h := newHarness(t, env, adminActor)
	h.Press("2", "down")
	q := h.m.tabs[1].(*requests)
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("selected %d", row.ID)
	}
	submit(t, env, eve, r.TypeID, "Third matter", "", "low") // newest: first row
	h.Send(requestsTickMsg{owner: owner{q}, seq: q.seq})
	h.RequireView("Third matter")
	if row, _ := q.list.selected(); row.ID != r.ID {
		t.Fatalf("after the refresh the cursor is on %d", row.ID)
	}
	h.Press("enter")
	h.RequireView("Request #1 · Contract review")
}

func TestRequestsTickOnlyWhileShown(t *testing.T) {
	env := newEnv(t)
	h := newHarness(t, env, adminActor)
	q := h.m.tabs[1].(*requests)
	h.Press("2")
	seq := q.seq
	if cmd := q.Update(requestsTickMsg{owner: owner{q}, seq: seq}); cmd == nil {
		t.Fatal("no refresh while shown")
	}
	h.Press("1")
	if cmd := q.Update(requestsTickMsg{owner: owner{q}, seq: seq}); cmd != nil {
		t.Fatal("the queue still ticks once left")
	}
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
	h.RequireView("Note added to request #1", "The newest note.")
	for _, l := range strings.Split(h.View(), "\n") {
		if w := len([]rune(l)); w > 80 {
			t.Fatalf("line of %d columns: %q", w, l)
		}
	}
}

// TestNoteFormHostileInput: an empty note, a huge paste, control
// characters and escape sequences each get a clear message; nothing is
// stored and the view never holds a raw escape.
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

	for _, bad := range []string{"\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07", "bell\x07", "c1 \u009b2J", "rtl \u202etxt", "nul\x00"} {
		h.Paste(bad)
		h.RequireView("The pasted text holds control characters or escape sequences; nothing was pasted.")
		if v := form.area.value(); v != "" {
			t.Fatalf("paste %q left %q", bad, v)
		}
		requireClean(t, h)
	}
	h.Paste(strings.Repeat("x", 100*1024))
	h.RequireView("The pasted text is too long: this field holds at most 5000 characters; nothing was pasted.")
	if form.area.value() != "" {
		t.Fatal("a huge paste was cut in")
	}
	// Typed runes are cleaned as in every form; a paste of plain lines
	// (CRLF, tabs) goes in.
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
	h.Press("esc")
	h.RequireView("Request #1 · Contract review")
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
	fs, _ := portal.TypeFields(ts[0])
	if len(fs) != 2 || fs[0].Label != "Testator" || !fs[0].Required || fs[1].Kind != store.FieldChoice || len(fs[1].Choices) != 3 {
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
	if fs, _ := portal.TypeFields(ts[0]); ts[0].Name != "Last will" || len(fs) != 3 || fs[2].Label != "Witnesses" {
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

// TestTypeFormHostileInput: an empty form, huge pastes, control characters
// and escape sequences, and lines the portal cannot read: a clear message
// beside the field, nothing stored, no raw escape shown.
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
	for _, bad := range []string{"\x1b[31mWill", "Will\x1b]0;x\x07", "Wi\u202ell", "\u009bWill"} {
		h.Paste(bad)
		h.RequireView("The pasted text holds control characters or escape sequences")
		if form.name.Value() != "" {
			t.Fatalf("name %q after a paste of %q", form.name.Value(), bad)
		}
		requireClean(t, h)
	}
	h.Paste(strings.Repeat("n", portal.MaxTypeNameLen+1))
	h.RequireView("this field holds at most 100 characters")
	h.Type("Will")
	h.RefuseView("pasted text")
	h.Press("tab")
	h.Paste("desc\x1b[2J")
	h.RequireView("The pasted text holds control characters")
	h.Press("tab")
	h.Paste(strings.Repeat("Field: text\n", 5000))
	h.RequireView("this field holds at most 20000 characters")
	if form.fields.value() != "" {
		t.Fatal("a huge paste was cut in")
	}
	h.Paste("\x1b[1mBold: text")
	h.RequireView("The pasted text holds control characters")

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
	h.Press("esc")
	h.RequireView("No request type yet")
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
		Fields: `[{"label":"\u001b[2JL","kind":"multiline","value":"a\u001b[1A\nb\u009b"}]`, Status: store.RequestNew,
		Assignee: evil, CreatedAt: fixedNow, UpdatedAt: fixedNow, ClientUpdatedAt: fixedNow, ClientSeenAt: fixedNow}
	if err := env.Store.CreateRequest(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddRequestEvent(ctx, &store.RequestEvent{RequestID: bad.ID, At: fixedNow, Kind: store.EventNote,
		AuthorKind: store.ActorClient, Author: evil, Body: evil + "\nline two\x1b[0m"}); err != nil {
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
