package admin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

const refusal = "Your role does not allow this"

func TestSearchNarrowsAndStaleResultsAreDropped(t *testing.T) {
	env := newEnv(t)
	goldenData(t, env)
	h := newHarness(t, env, adminActor)
	h.RequireView("Ann Smith", "Bob Stone", "Carol Diaz")

	h.Press("/")
	h.Type("car")
	h.RequireView("Carol Diaz")
	h.RefuseView("Ann Smith", "Bob Stone")

	// Hold the answers: the one for "a" comes back after the one for "b".
	h.Press("esc")
	h.Hold = func(msg tea.Msg) bool { _, ok := msg.(pageMsg); return ok }
	h.Press("/")
	h.Type("a")
	h.Press("backspace")
	h.Type("b")
	if len(h.Held) < 2 {
		t.Fatalf("held %d answers", len(h.Held))
	}
	h.Hold = nil
	last := h.Held[len(h.Held)-1]
	h.Send(last)
	h.RequireView("Bob Stone")
	for _, m := range h.Held[:len(h.Held)-1] {
		h.Send(m) // stale: for "a" or the empty search
	}
	h.RequireView("Bob Stone")
	h.RefuseView("Ann Smith", "Carol Diaz")
}

func TestPagingByKey(t *testing.T) {
	env := newEnv(t)
	for _, e := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"} {
		addClients(t, env, [3]string{e + "@example.com", "Person " + strings.ToUpper(e), ""})
	}
	h := newHarness(t, env, adminActor)
	l := h.m.tabs[0].(*clients).list
	l.size = 2
	h.Send(noticeMsg{})
	for range 10 {
		h.Press("down")
	}
	h.RequireView("k@example.com")
	if len(l.pages) > maxPages {
		t.Fatalf("%d pages in memory", len(l.pages))
	}
	for range 10 {
		h.Press("up")
	}
	h.RequireView("a@example.com")
}

func TestAddClientQueuesInvitation(t *testing.T) {
	env := newEnv(t)
	h := newHarness(t, env, adminActor)
	h.Press("a")
	h.Fill("new@example.com", "New Person", "Acme", "")
	h.RequireView("Invitation queued for new@example.com", "New Person")
	env.LastMail(t, "new@example.com", portal.MailInvitation)

	// The same email again: the refusal shows beside the field.
	h.Press("a")
	h.Fill("NEW@example.com", "Other", "", "")
	h.RequireView("already exists")
}

func TestResendDisableEnableEndSessions(t *testing.T) {
	env := newEnv(t)
	env.AddActiveClient(t, "ann@example.com", "Ann Smith")
	addClients(t, env, [3]string{"bob@example.com", "Bob Stone", ""})
	h := newHarness(t, env, adminActor)

	h.Press("down", "enter")
	h.RequireView("Bob Stone", "Invitations")
	h.Press("r")
	h.RequireView("A new invitation to bob@example.com is queued")
	if n := len(env.Mails(t, "bob@example.com")); n != 2 {
		t.Fatalf("%d mails to bob", n)
	}
	h.Press("esc", "up", "enter")

	c := client(t, env, "ann@example.com")
	var ended atomic.Int32
	env.BindSession(t, context.Background(), c, "s1", func() { ended.Add(1) })
	h.Press("x")
	h.RequireView("ended: 1.")
	env.BindSession(t, context.Background(), c, "s2", func() { ended.Add(1) })
	h.Press("d")
	h.RequireView("Disable ann@example.com and end their sessions? y/n")
	h.Press("y")
	h.RequireView("ann@example.com is disabled")
	if ended.Load() != 2 || client(t, env, "ann@example.com").Status != vocab.StatusDisabled {
		t.Fatalf("ended %d, status %s", ended.Load(), client(t, env, "ann@example.com").Status)
	}
	h.Press("d", "y")
	h.RequireView("is already disabled")
	h.Press("e")
	h.RequireView("enabled again")
	if client(t, env, "ann@example.com").Status != vocab.StatusActive {
		t.Fatal("not active again")
	}
}

func TestImportReportsBadLines(t *testing.T) {
	env := newEnv(t)
	addClients(t, env, [3]string{"ann@example.com", "Ann Smith", ""})
	path := filepath.Join(env.ImportDir, "clients.csv")
	csv := "email,name,company,phone\nnew1@example.com,New One,,\nnot-an-email,Bad,,\nann@example.com,Ann Again,,\nnew2@example.com,New Two,Acme,+1 555 0100\nonly-one-column\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "clients.csv")
	if err := os.WriteFile(outside, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(env.ImportDir, "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 200, Height: 40}) // the folder's path on one line
	h.Press("i")
	h.Type("missing.csv")
	h.Press("enter")
	h.RequireView("No such file on the server.")
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.Type(outside)
	h.Press("enter")
	h.RequireView("Files to import must be in " + env.ImportDir + " on the server")
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.Type("folder")
	h.Press("enter")
	h.RequireView("not a regular file")
	h.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.Type("clients.csv")
	h.Press("ctrl+t", "enter")
	h.RequireView("Import finished. Lines: 5; added: 2; already known: 1; refused: 2.", "line 3:", "line 6:")
	env.LastMail(t, "new2@example.com", portal.MailInvitation)
	// Esc after the report forgets it: the next import starts afresh.
	h.Press("esc")
	h.RequireView("New Two")
	h.RefuseView("Import finished")
	h.Press("i")
	h.RequireView("File on the server")
	h.Press("esc")

	// An import left running reports on every tab until looked at.
	again := filepath.Join(t.TempDir(), "more.csv")
	if err := os.WriteFile(again, []byte("new3@example.com,New Three\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(again)
	if err != nil {
		t.Fatal(err)
	}
	h.Press("5")
	h.Send(startImportMsg{f: f, name: "more.csv", size: 27})
	h.RequireView("Import finished: 1 added, 0 already known, 0 refused. Press i on Clients")
	h.Press("1", "i")
	h.RequireView("Import finished. Lines: 1; added: 1;")
}

// closeCounter is a file to import that counts its closes.
type closeCounter struct {
	strings.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// TestImportsOneAtATime: while an import runs, another one asked for is
// refused and its file closed; news of a job that is no longer the
// console's change nothing; the report shows on every tab until read.
func TestImportsOneAtATime(t *testing.T) {
	env := newEnv(t)
	h := newHarness(t, env, adminActor)
	im := h.m.imports
	j := &importJob{name: "a.csv"} // running, as startImport leaves it
	im.job = j

	second := &closeCounter{}
	if _, ok := im.Update(startImportMsg{f: second, name: "b.csv"}); !ok || im.job != j || second.closed != 1 {
		t.Fatalf("a second import while one runs: taken %v, same job %v, file closed %d times", ok, im.job == j, second.closed)
	}
	gone := &importJob{}
	im.Update(importProgressMsg{job: gone, p: portal.ImportProgress{Lines: 5}})
	im.Update(importDoneMsg{job: gone, report: &portal.ImportReport{}})
	if j.at.Lines != 0 || j.done {
		t.Fatalf("another job's news changed the import: %+v, done %v", j.at, j.done)
	}
	if _, ok := im.Update(tea.KeyMsg{}); ok {
		t.Fatal("a key was taken as the import's")
	}

	cmd, _ := im.Update(importDoneMsg{job: j, report: &portal.ImportReport{Lines: 3, Added: 2, Duplicates: 1}})
	h.Run(cmd)
	if !j.done || j.at.Lines != 3 || j.at.Added != 2 {
		t.Fatalf("after its end the import is done %v at %+v", j.done, j.at)
	}
	h.Press("3")
	h.RequireView("Import finished: 2 added, 1 already known, 0 refused.")
	h.Send(dismissImportMsg{})
	h.RefuseView("Import finished")
}

func TestSignUpApproveReject(t *testing.T) {
	env := newEnv(t)
	awaiting(t, env, "dan@example.com", "Dan Brown")
	awaiting(t, env, "eve@example.com", "Eve Black")
	h := newHarness(t, env, supportActor)
	h.Press("3")
	h.RequireView("Dan Brown", "Eve Black")
	h.Press("y")
	h.RequireView("dan@example.com is approved")
	h.RefuseView("Dan Brown")
	h.Press("n")
	h.RequireView("Reject the sign-up of eve@example.com? y/n")
	h.Press("y")
	h.RequireView("eve@example.com is rejected", "No sign-up is waiting.")
	if client(t, env, "dan@example.com").Status != vocab.StatusActive || client(t, env, "eve@example.com").Status != vocab.StatusRejected {
		t.Fatal("decisions not stored")
	}
	env.LastMail(t, "dan@example.com", portal.MailSignUpApproved)
	env.LastMail(t, "eve@example.com", portal.MailSignUpRejected)
}

func TestOutboxRetry(t *testing.T) {
	env := newEnv(t)
	addClients(t, env, [3]string{"ann@example.com", "Ann Smith", ""})
	h := newHarness(t, env, supportActor)
	h.Press("4")
	h.RequireView("ann@example.com", "queued")
	h.Press("r")
	h.RequireView("will be sent again now")
	h.Press("s", "s")
	h.RequireView("State: sent", "No mail.")
}

// TestTabsTickOnlyWhileShown: a tab that refreshes itself does so while
// it is shown, and its timer ends when another tab is.
func TestTabsTickOnlyWhileShown(t *testing.T) {
	tests := []struct {
		name string
		key  string
		tab  func(*Model) (screen, *refresher)
	}{
		{"requests", "2", func(m *Model) (screen, *refresher) { q := m.tabs[1].(*requests); return q, &q.timer }},
		{"sign-ups", "3", func(m *Model) (screen, *refresher) { q := m.tabs[2].(*signUps); return q, &q.timer }},
		{"outbox", "4", func(m *Model) (screen, *refresher) { o := m.tabs[3].(*outbox); return o, &o.timer }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newEnv(t), adminActor)
			tab, timer := tt.tab(h.m)
			h.Press(tt.key)
			tick := refreshMsg{owner: owner{tab}, seq: timer.seq}
			if cmd := tab.Update(tick); cmd == nil {
				t.Fatal("no refresh while shown")
			}
			h.Press("1")
			if cmd := tab.Update(tick); cmd != nil {
				t.Fatal("the tab still ticks once left")
			}
		})
	}
}

func TestSettingsModeChange(t *testing.T) {
	env := newEnv(t)
	h := newHarness(t, env, adminActor)
	h.Press("6")
	h.RequireView("Now: off")
	h.Press("a")
	h.RequireView("Turn sign-up on with approval? y/n")
	h.Press("n")
	if mode, _ := env.Service.SignUpMode(context.Background()); mode != vocab.SignUpOff {
		t.Fatalf("mode %s after no", mode)
	}
	h.Press("a", "y")
	h.RequireView("Sign-up is now on with approval.", "Now: on with approval")
	if mode, _ := env.Service.SignUpMode(context.Background()); mode != vocab.SignUpApproval {
		t.Fatalf("mode %s", mode)
	}
}

func TestStaffAddAndLastAdmin(t *testing.T) {
	env := newEnv(t)
	if _, err := env.Service.AddStaff(context.Background(), env.Admin(), "ann", "admin", staffKey(t, 1)); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, adminActor)
	h.Press("7")
	h.RequireView("ann", "SHA256:")
	h.Press("a")
	h.Fill("zed", "support", staffKey(t, 3))
	h.RequireView("zed can now connect as support", "zed")
	h.Press("home", "d")
	h.RequireView("Remove this key of ann (SHA256:")
	h.Press("y")
	h.RequireView("That would leave no admin")
	h.Press("end", "d", "y")
	h.RequireView("zed was removed.")
	staff, _ := env.Store.ListStaff(context.Background())
	if len(staff) != 1 || staff[0].Name != "ann" {
		t.Fatalf("staff %+v", staff)
	}
}

func TestHostileNamesShowAsText(t *testing.T) {
	env := newEnv(t)
	evil := "\x1b]0;pwned\x07\x1b[31mEvil\u202e"
	c := &store.Client{Email: "evil@example.com", EmailNorm: "evil@example.com", Name: evil, NameNorm: "evil",
		Company: evil, Status: vocab.StatusActive, Lang: "en", CreatedAt: fixedNow, UpdatedAt: fixedNow}
	if err := env.Store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddAudit(context.Background(), &store.AuditEvent{At: fixedNow, ActorKind: "staff", Actor: evil, Action: "x", Subject: "evil@example.com", Detail: evil}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, adminActor)
	check := func() {
		t.Helper()
		v := h.View()
		for _, r := range v {
			if r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("view holds %U:\n%q", r, v)
			}
		}
	}
	h.RequireView("Evil")
	check()
	h.Press("enter")
	h.RequireView("Evil")
	check()
	h.Press("esc", "5")
	check()
}

// TestRoles drives every action as admin and as support: support finds the
// key refused (or absent) and nothing changes in the store.
func TestRoles(t *testing.T) {
	type roleCase struct {
		name string
		// do drives the console; it returns what the admin sees on success.
		do      func(h *harness)
		admin   string
		support string // "" means the support member may do it too
		changed func(t *testing.T, h *harness) bool
	}
	ctx := context.Background()
	mode := func(h *harness) string { m, _ := h.env.Service.SignUpMode(ctx); return m }
	cases := []roleCase{
		{name: "add client", do: func(h *harness) { h.Press("a"); h.Fill("zz@example.com", "Zed Zed", "", "") },
			admin: "Invitation queued for zz@example.com", support: refusal,
			changed: func(t *testing.T, h *harness) bool {
				_, err := h.env.Store.ClientByEmail(ctx, "zz@example.com")
				return err == nil
			}},
		{name: "import", do: func(h *harness) {
			path := filepath.Join(h.env.ImportDir, "c.csv")
			_ = os.WriteFile(path, []byte("imp@example.com,Imp\n"), 0o600)
			h.Press("i")
			if strings.Contains(h.View(), "File on the server") {
				h.Type(path)
				h.Press("enter")
			}
		}, admin: "1 added", support: refusal,
			changed: func(t *testing.T, h *harness) bool {
				_, err := h.env.Store.ClientByEmail(ctx, "imp@example.com")
				return err == nil
			}},
		{name: "disable", do: func(h *harness) { h.Press("enter", "d", "y") },
			admin: "is disabled", support: refusal,
			changed: func(t *testing.T, h *harness) bool {
				return client(t, h.env, "ann@example.com").Status == vocab.StatusDisabled
			}},
		{name: "enable", do: func(h *harness) {
			_ = h.env.Service.DisableClient(ctx, h.env.Admin(), "ann@example.com")
			h.Press("enter", "e")
		}, admin: "enabled again", support: refusal,
			changed: func(t *testing.T, h *harness) bool {
				return client(t, h.env, "ann@example.com").Status != vocab.StatusDisabled
			}},
		{name: "resend", do: func(h *harness) { h.Press("enter", "r") }, admin: "A new invitation",
			changed: func(t *testing.T, h *harness) bool { return len(h.env.Mails(t, "ann@example.com")) == 2 }},
		{name: "end sessions", do: func(h *harness) {
			// The client accepted the invitation and has one live
			// session, bound as a log in binds it.
			c := client(t, h.env, "ann@example.com")
			active, hash := vocab.StatusActive, "accepted"
			if err := h.env.Store.UpdateClient(context.Background(), c.ID, store.ClientUpdate{Status: &active, PasswordHash: &hash}); err != nil {
				t.Fatal(err)
			}
			c = client(t, h.env, "ann@example.com")
			h.env.BindSession(t, context.Background(), c, "ann-laptop", func() { h.ended++ })
			h.Press("enter", "x")
		}, admin: "ended: 1.",
			changed: func(t *testing.T, h *harness) bool { return h.ended == 1 }},
		{name: "approve", do: func(h *harness) { h.Press("3", "y") }, admin: "is approved",
			changed: func(t *testing.T, h *harness) bool {
				return client(t, h.env, "dan@example.com").Status == vocab.StatusActive
			}},
		{name: "settings", do: func(h *harness) { h.Press("6", "o", "y") }, admin: "Sign-up is now on.", support: "Search:",
			changed: func(t *testing.T, h *harness) bool { return mode(h) == vocab.SignUpOn }},
		{name: "staff add", do: func(h *harness) {
			h.Press("7", "a")
			if strings.Contains(h.View(), "Add a staff key") {
				h.Fill("zed", "admin", staffKey(t, 4))
			}
		},
			admin: "zed can now connect as admin", support: "Search:",
			changed: func(t *testing.T, h *harness) bool {
				st, _ := h.env.Store.ListStaff(ctx)
				return len(st) == 2
			}},
		{name: "staff remove", do: func(h *harness) {
			// A second admin, so that removing the first is allowed.
			if _, err := h.env.Service.AddStaff(ctx, h.env.Admin(), "bea", "admin", staffKey(t, 5)); err != nil {
				t.Fatal(err)
			}
			h.Press("7")
			if strings.Contains(h.View(), "Staff keys") {
				h.Press("end", "d", "y") // the last row: bea
			}
		},
			admin: "bea was removed", support: "Search:",
			changed: func(t *testing.T, h *harness) bool {
				st, _ := h.env.Store.ListStaff(ctx)
				return len(st) == 1
			}},
		{name: "staff remove the last admin key", do: func(h *harness) { h.Press("7", "d", "y") },
			admin: "That would leave no admin", support: "Search:",
			changed: func(t *testing.T, h *harness) bool {
				st, _ := h.env.Store.ListStaff(ctx)
				return len(st) == 0 // never: refused for the admin, absent for support
			}},
		// Requests: support staff do everything admins do, but the types.
		{name: "request status", do: func(h *harness) { h.Press("2", "enter", "s", "2") },
			admin: "Request #1 is now in progress",
			changed: func(t *testing.T, h *harness) bool {
				return page(t, h.env, 1).Status == vocab.RequestInProgress
			}},
		{name: "request note", do: func(h *harness) {
			h.Press("2", "enter", "n", "ctrl+t")
			h.Type("We are on it.")
			h.Send(ctrlS)
		}, admin: "Note added to request #1",
			changed: func(t *testing.T, h *harness) bool {
				ev := page(t, h.env, 1).Events
				return ev[len(ev)-1].Body == "We are on it." && !ev[len(ev)-1].Internal
			}},
		{name: "request internal note", do: func(h *harness) {
			h.Press("2", "enter", "n")
			h.Type("Between us.")
			h.Send(ctrlS)
		}, admin: "Internal note added to request #1",
			changed: func(t *testing.T, h *harness) bool {
				ev := page(t, h.env, 1).Events
				return ev[len(ev)-1].Body == "Between us." && ev[len(ev)-1].Internal
			}},
		{name: "request assign", do: func(h *harness) {
			if err := h.env.Service.AssignRequest(ctx, h.env.Admin(), 1, "ann"); err != nil {
				t.Fatal(err)
			}
			h.Press("2", "enter", "a", "0")
		}, admin: "Request #1 is assigned to nobody now.",
			changed: func(t *testing.T, h *harness) bool { return page(t, h.env, 1).Assignee == "" }},
		{name: "request type add", do: func(h *harness) {
			h.Press("6", "t", "a")
			if strings.Contains(h.View(), "Add a request type") {
				h.Type("Will")
				h.Press("tab", "tab")
				h.Type("Testator: text")
				h.Send(ctrlS)
			}
		}, admin: `The request type "Will" is added.`, support: "Search:",
			changed: func(t *testing.T, h *harness) bool {
				ts, _ := h.env.Service.RequestTypes(ctx, h.env.Admin())
				return len(ts) == 2
			}},
		{name: "request type disable", do: func(h *harness) { h.Press("6", "t", "d", "y") },
			admin: "is disabled", support: "Search:",
			changed: func(t *testing.T, h *harness) bool {
				ts, _ := h.env.Service.RequestTypes(ctx, h.env.Admin())
				return ts[0].Disabled
			}},
	}
	for _, tc := range cases {
		for _, role := range []portal.Actor{adminActor, supportActor} {
			t.Run(tc.name+"/"+role.Role, func(t *testing.T) {
				env := newEnv(t)
				addClients(t, env, [3]string{"ann@example.com", "Ann Smith", ""})
				awaiting(t, env, "dan@example.com", "Dan Brown")
				if _, err := env.Service.AddStaff(ctx, env.Admin(), "ann", "admin", staffKey(t, 1)); err != nil {
					t.Fatal(err)
				}
				requestFixture(t, env)
				h := newHarness(t, env, role)
				tc.do(h)
				want, allowed := tc.admin, true
				if role.Role == vocab.RoleSupport && tc.support != "" {
					want, allowed = tc.support, false
				}
				h.RequireView(want)
				wantChange := allowed && tc.name != "staff remove the last admin key"
				if got := tc.changed(t, h); got != wantChange {
					t.Fatalf("changed = %v, want %v", got, wantChange)
				}
				if !allowed {
					h.RefuseView("Settings", "Staff keys")
				}
			})
		}
	}
}

// TestSignUpsRefreshKeepsTheCursor: the queue picks up new sign-ups by
// itself while shown, and the cursor stays on the client the person was
// looking at, so y never approves someone else.
func TestSignUpsRefreshKeepsTheCursor(t *testing.T) {
	env := newEnv(t)
	awaiting(t, env, "bea@example.com", "Bea")
	awaiting(t, env, "dan@example.com", "Dan")
	h := newHarness(t, env, adminActor)
	h.Press("3", "down")
	q := h.m.tabs[2].(*signUps)
	if c, _ := q.list.selected(); c.EmailNorm != "dan@example.com" {
		t.Fatalf("selected %q", c.EmailNorm)
	}
	awaiting(t, env, "abe@example.com", "Abe") // sorts first
	h.Send(refreshMsg{owner: owner{q}, seq: q.timer.seq})
	h.RequireView("abe@example.com")
	if c, _ := q.list.selected(); c.EmailNorm != "dan@example.com" {
		t.Fatalf("after the refresh the cursor is on %q", c.EmailNorm)
	}
	h.Press("y")
	if client(t, env, "dan@example.com").Status != vocab.StatusActive || client(t, env, "abe@example.com").Status != vocab.StatusAwaiting {
		t.Fatal("y approved someone other than the client under the cursor")
	}
}

// TestTypeAheadOpensSearch: "/jose" read at once opens the search and
// searches for jose.
func TestTypeAheadOpensSearch(t *testing.T) {
	env := newEnv(t)
	addClients(t, env, [3]string{"ann@example.com", "Ann Dup", ""}, [3]string{"jose@example.com", "José Díaz", ""})
	h := newHarness(t, env, adminActor)
	h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/jose")})
	h.Press("enter")
	h.RequireView("jose@example.com")
	h.RefuseView("ann@example.com")
}
