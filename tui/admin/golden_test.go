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
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/uitest"
)

type goldenStep struct {
	keys    []string
	typed   string
	then    []string
	msgs    []tea.Msg // sent last, for keys uitest.Key does not name
	waitFor string
}

// staffKey is a fixed key line, so fingerprints in goldens never change.
func staffKey(t testing.TB, seed byte) string {
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

// addTypes adds the two kinds of request of the console's fixtures:
// Contract review (portaltest.ContractFields) and Document request.
func addTypes(t testing.TB, env *portaltest.Env) (contract, docs *portal.RequestType) {
	t.Helper()
	contract = env.AddRequestType(t, "Contract review", portaltest.ContractFields()...)
	docs = env.AddRequestType(t, "Document request", "Document: text, required", "Notes: multiline")
	return contract, docs
}

// goldenRequests adds two request types and three requests of an active
// client, newest first in the queue: one whose summary and field hold
// escape sequences (written straight in the store: the portal refuses
// them), a document request, and a contract review in progress, assigned,
// with a note to the client and an internal one.
func goldenRequests(t *testing.T, env *portaltest.Env) {
	t.Helper()
	ctx := context.Background()
	review, doc := addTypes(t, env)
	eve := env.AddActiveClient(t, "eve@example.com", "Eve Adams")
	as := portaltest.ClientActor(eve)
	r, err := env.Service.SubmitRequest(ctx, as, review.ID, []string{"Lease for the shop",
		"The landlord wants a ten-year lease with a rent review every two years.\nPlease check the break clause.", "2026-12-31", "high"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.SubmitRequest(ctx, as, doc.ID, []string{"Certificate of incorporation", ""}); err != nil {
		t.Fatal(err)
	}
	sam := portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport}
	steps := []error{
		env.Service.SetRequestStatus(ctx, sam, r.ID, vocab.RequestInProgress),
		env.Service.AssignRequest(ctx, sam, r.ID, "sam"),
		env.Service.AddNote(ctx, sam, r.ID, "We are reading the lease.\nExpect our comments by Friday.", false),
		env.Service.AddNote(ctx, sam, r.ID, "Check clause 12 with a partner before we answer.", true),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	evil := &store.Request{ClientID: eve.ID, TypeID: doc.ID, TypeName: "Document request",
		Summary: "\x1b[31mURGENT\x1b[0m \x1b]0;pwned\x07call me\u202e now",
		Fields:  `[{"label":"Document","kind":"text","value":"\u001b[2Jwipe\u0007"},{"label":"Notes","kind":"multiline","value":"line\u001b[1A\nnext\u202e"}]`,
		Status:  vocab.RequestNew, CreatedAt: fixedNow, UpdatedAt: fixedNow, ClientUpdatedAt: fixedNow, ClientSeenAt: fixedNow}
	if err := env.Store.CreateRequest(ctx, evil); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddRequestEvent(ctx, &store.RequestEvent{RequestID: evil.ID, At: fixedNow, Kind: vocab.EventSubmitted,
		AuthorKind: vocab.ActorClient, Author: "eve@example.com\x1b[5m", Status: vocab.RequestNew}); err != nil {
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
		// data adds to goldenData (nil: nothing).
		data  func(t *testing.T, env *portaltest.Env)
		steps []goldenStep
	}
	listed := goldenStep{waitFor: "Carol Diaz"}
	queue := goldenStep{keys: []string{"2"}, waitFor: "in progress"}
	lease := goldenStep{keys: []string{"down", "down", "enter"}, waitFor: "History"}
	types := goldenStep{keys: []string{"6", "t"}, waitFor: "Document request"}
	note := goldenStep{keys: []string{"n"}, waitFor: "Internal note"}
	ctrlS := tea.KeyMsg{Type: tea.KeyCtrlS}
	cases := []goldenCase{
		{name: "clients", steps: []goldenStep{listed}},
		{name: "clients_support", actor: supportActor, steps: []goldenStep{listed}},
		{name: "clients_search", steps: []goldenStep{listed, {keys: []string{"/"}, typed: "car", waitFor: "Search"}}},
		{name: "clients_filter", steps: []goldenStep{listed, {keys: []string{"s", "s"}, waitFor: "Dan Brown"}}},
		{name: "detail", steps: []goldenStep{listed, {keys: []string{"down", "enter"}, waitFor: "Recent events"}}},
		{name: "detail_confirm", steps: []goldenStep{listed, {keys: []string{"enter"}, waitFor: "Recent events"}, {keys: []string{"d"}, waitFor: "y/n"}}},
		{name: "url", steps: []goldenStep{listed, {keys: []string{"u"}, waitFor: "Clients connect with"}}},
		{name: "add_client", steps: []goldenStep{listed, {keys: []string{"a"}, waitFor: "Add client"}}},
		{name: "add_client_exists", steps: []goldenStep{listed, {keys: []string{"a"}, waitFor: "Add client"},
			{typed: "ann@example.com", then: []string{"enter"}}, {typed: "Ann Again", then: []string{"enter", "enter", "enter"}, waitFor: "already"}}},
		{name: "import", steps: []goldenStep{listed, {keys: []string{"i"}, waitFor: "Import clients"}}},
		{name: "signups", steps: []goldenStep{listed, {keys: []string{"3"}, waitFor: "Dan Brown"}}},
		{name: "outbox", steps: []goldenStep{listed, {keys: []string{"4"}, waitFor: "queued"}}},
		{name: "audit", steps: []goldenStep{listed, {keys: []string{"5"}, waitFor: "staff.add"}}},
		{name: "audit_support", actor: supportActor, steps: []goldenStep{listed, {keys: []string{"5"}, waitFor: "bob@ex"}}},
		{name: "settings", steps: []goldenStep{listed, {keys: []string{"6"}, waitFor: "Now: off"}}},
		{name: "settings_confirm", steps: []goldenStep{listed, {keys: []string{"6"}, waitFor: "Now: off"}, {keys: []string{"a"}, waitFor: "y/n"}}},
		{name: "staff", steps: []goldenStep{listed, {keys: []string{"7"}, waitFor: "SHA256"}}},
		{name: "add_staff", steps: []goldenStep{listed, {keys: []string{"7"}, waitFor: "SHA256"}, {keys: []string{"a"}, waitFor: "Add a staff key"}}},
		{name: "requests", data: goldenRequests, steps: []goldenStep{listed, queue}},
		{name: "requests_support", actor: supportActor, data: goldenRequests, steps: []goldenStep{listed, queue}},
		{name: "requests_filter", data: goldenRequests, steps: []goldenStep{listed, queue, {keys: []string{"s", "t", "t", "a", "a"}, waitFor: "assignee: nobody"}}},
		{name: "request", data: goldenRequests, steps: []goldenStep{listed, queue, lease}},
		{name: "request_history", data: goldenRequests, steps: []goldenStep{listed, queue, lease, {keys: []string{"end"}}}},
		{name: "request_hostile", data: goldenRequests, steps: []goldenStep{listed, queue, {keys: []string{"enter"}, waitFor: "History"}}},
		{name: "request_status", data: goldenRequests, steps: []goldenStep{listed, queue, lease, {keys: []string{"s"}, waitFor: "to:"}}},
		{name: "request_status_confirm", data: goldenRequests, steps: []goldenStep{listed, queue, lease, {keys: []string{"s"}, waitFor: "to:"},
			{keys: []string{"4"}, waitFor: "y/n"}}},
		{name: "requests_no_client", data: goldenRequests, steps: []goldenStep{listed, queue, {keys: []string{"/"}, typed: "eve",
			then: []string{"enter"}, waitFor: "Clients tab"}}},
		{name: "request_assign", actor: supportActor, data: goldenRequests, steps: []goldenStep{listed, queue, lease, {keys: []string{"a"}, waitFor: "nobody"}}},
		{name: "request_note", data: goldenRequests, steps: []goldenStep{listed, queue, lease, note, {keys: []string{"ctrl+t"}, waitFor: "VISIBLE"},
			{typed: "We received the signed copy.", then: []string{"enter"}}, {typed: "Thank you.", waitFor: "Thank you."}}},
		{name: "request_note_internal", data: goldenRequests, steps: []goldenStep{listed, queue, lease, note,
			{typed: "Call them Monday.", waitFor: "Monday."}}},
		{name: "request_note_empty", data: goldenRequests, steps: []goldenStep{listed, queue, lease, note,
			{msgs: []tea.Msg{ctrlS}, waitFor: "Required"}}},
		{name: "request_note_discard", data: goldenRequests, steps: []goldenStep{listed, queue, lease, note,
			{typed: "Call them Monday.", then: []string{"esc"}, waitFor: "Discard this note?"}}},
		{name: "settings_types", data: goldenRequests, steps: []goldenStep{listed, types}},
		{name: "type_add", data: goldenRequests, steps: []goldenStep{listed, types, {keys: []string{"a"}, waitFor: "Add a request type"}}},
		{name: "type_edit", data: goldenRequests, steps: []goldenStep{listed, types, {keys: []string{"e"}, waitFor: "Edit the request type"}}},
		{name: "type_add_error", data: goldenRequests, steps: []goldenStep{listed, types, {keys: []string{"a"}, waitFor: "Add a request type"},
			{typed: "Will", then: []string{"tab", "tab"}}, {typed: "Testator: person", msgs: []tea.Msg{ctrlS}, waitFor: "unknown kind"}}},
		{name: "type_edit_discard", data: goldenRequests, steps: []goldenStep{listed, types, {keys: []string{"e"}, waitFor: "Edit the request type"},
			{typed: " (leases)", then: []string{"esc"}, waitFor: "Discard your changes"}}},
		{name: "type_disable_confirm", data: goldenRequests, steps: []goldenStep{listed, types, {keys: []string{"d"}, waitFor: "y/n"}}},
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
				if tc.data != nil {
					tc.data(t, env)
				}
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
					for _, m := range s.msgs {
						tm.Send(m)
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
