package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/server/commands"
	"github.com/clientportal/portal/internal/store"
)

// clientStatus is the stored status of a client, "" when there is none.
func clientStatus(t *testing.T, env *portaltest.Env, email string) string {
	t.Helper()
	c, err := env.Store.ClientByEmail(context.Background(), email)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func signUpMode(t *testing.T, env *portaltest.Env) string {
	t.Helper()
	m, err := env.Service.SignUpMode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func hasStaff(t *testing.T, env *portaltest.Env, name string) bool {
	t.Helper()
	all, err := env.Store.ListStaff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return true
		}
	}
	return false
}

// addAwaiting stores a verified sign-up waiting for approval.
func addAwaiting(t *testing.T, env *portaltest.Env, email string) {
	t.Helper()
	now := time.Now()
	if err := env.Store.CreateClient(context.Background(), &store.Client{
		Email: email, Name: "Wendy Waiting", Lang: "en", Status: vocab.StatusAwaiting, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
}

// bindSession registers a live session of the client; the flag it returns
// turns true when the portal ends it.
func bindSession(t *testing.T, env *portaltest.Env, email string) *bool {
	t.Helper()
	c := env.ClientByEmail(t, email)
	ended := new(bool)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	env.BindSession(t, ctx, c, "session-"+email, func() { *ended = true })
	return ended
}

// TestWritesPerRole runs every write as an admin and as support staff: the
// exit status, the line printed, and whether the store changed must match
// what the role may do.
func TestWritesPerRole(t *testing.T) {
	forbidden := portaltest.New(t).Catalog.Printer("en").T("error.forbidden")
	type check func() bool // did the action happen?
	tests := []struct {
		name    string
		args    []string
		stdin   string
		prepare func(t *testing.T, env *portaltest.Env) check
		admin   bool // admins may
		support bool // support staff may
		out     string
	}{
		{"clients add", []string{"clients", "add", "--email", "new@example.com", "--name", "New"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return clientStatus(t, env, "new@example.com") == vocab.StatusInvited }
			}, true, false, "Added new@example.com; invitation queued."},
		{"clients import", []string{"clients", "import"}, "new@example.com,New\n",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return clientStatus(t, env, "new@example.com") == vocab.StatusInvited }
			}, true, false, "1 line: 1 added, 0 already known, 0 refused"},
		{"clients import --invite", []string{"clients", "import", "--invite"}, "new@example.com,New\n",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return len(env.Mails(t, "new@example.com")) == 1 }
			}, true, false, "1 line: 1 added (invitations queued)"},
		{"clients disable", []string{"clients", "disable", "ada@example.com"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				ended := bindSession(t, env, "ada@example.com")
				return func() bool { return clientStatus(t, env, "ada@example.com") == vocab.StatusDisabled && *ended }
			}, true, false, "Disabled ada@example.com; their live sessions were ended."},
		{"clients enable", []string{"clients", "enable", "ada@example.com"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				if err := env.Service.DisableClient(context.Background(), env.Admin(), "ada@example.com"); err != nil {
					t.Fatal(err)
				}
				return func() bool { return clientStatus(t, env, "ada@example.com") == vocab.StatusActive }
			}, true, false, "Enabled ada@example.com; they can log in again."},
		{"clients end-sessions", []string{"clients", "end-sessions", "ada@example.com"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				ended := bindSession(t, env, "ada@example.com")
				return func() bool { return *ended }
			}, true, true, "Ended 1 live session of ada@example.com."},
		{"invites resend", []string{"invites", "resend", "ivy@example.com"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return len(env.Mails(t, "ivy@example.com")) == 2 }
			}, true, true, "New invitation queued for ivy@example.com"},
		{"signup on", []string{"signup", "on"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return signUpMode(t, env) == vocab.SignUpOn }
			}, true, false, "on\n"},
		{"signup on --approval", []string{"signup", "on", "--approval"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return signUpMode(t, env) == vocab.SignUpApproval }
			}, true, false, "on (approval)\n"},
		{"signup off", []string{"signup", "off"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				if err := env.Service.SetSignUp(context.Background(), env.Admin(), true); err != nil {
					t.Fatal(err)
				}
				return func() bool { return signUpMode(t, env) == vocab.SignUpOff }
			}, true, false, "off\n"},
		{"signup approve", []string{"signup", "approve", "wendy@example.com"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addAwaiting(t, env, "wendy@example.com")
				return func() bool {
					env.LastMail(t, "wendy@example.com", portal.MailSignUpApproved)
					return clientStatus(t, env, "wendy@example.com") == vocab.StatusActive
				}
			}, true, true, "Approved wendy@example.com; they were told by mail"},
		{"signup reject", []string{"signup", "reject", "wendy@example.com"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addAwaiting(t, env, "wendy@example.com")
				return func() bool {
					env.LastMail(t, "wendy@example.com", portal.MailSignUpRejected)
					return clientStatus(t, env, "wendy@example.com") == vocab.StatusRejected
				}
			}, true, true, "Rejected wendy@example.com; they were told by mail."},
		{"outbox retry", []string{"outbox", "retry", "ID"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				m := env.LastMail(t, "ivy@example.com", portal.MailInvitation)
				later := time.Now().Add(time.Hour)
				if err := env.Store.MarkMailFailed(context.Background(), "", m.ID, 1, later, "451 try later"); err != nil {
					t.Fatal(err)
				}
				return func() bool {
					m := env.LastMail(t, "ivy@example.com", portal.MailInvitation)
					return m.NextAttemptAt.Before(later.Add(-time.Minute))
				}
			}, true, true, "will be tried again now."},
		{"staff add", []string{"staff", "add", "--name", "eve", "--role", "support", "--key", "-"}, newKey(t, "eve") + "\n",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return hasStaff(t, env, "eve") }
			}, true, false, "Added eve (support)"},
		{"staff remove", []string{"staff", "remove", "sam"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return !hasStaff(t, env, "sam") }
			}, true, false, "Removed sam."},
		{"types add", []string{"types", "add", "Other", "--field", "What: text, required"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				return func() bool { return typeCount(t, env) == 1 }
			}, true, false, "Added request type #1, Other, with 1 field."},
		{"types edit", []string{"types", "edit", "1", "--name", "Renamed"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				return func() bool { return strings.HasPrefix(typeSnapshot(t, env, 1), "Renamed|") }
			}, true, false, "Changed request type #1, Renamed: 3 fields."},
		{"types edit --field", []string{"types", "edit", "1", "--field", "Only: text"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				return func() bool { return strings.HasSuffix(typeSnapshot(t, env, 1), "|Only: text") }
			}, true, false, "Changed request type #1, Contract review: 1 field."},
		{"types disable", []string{"types", "disable", "1"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				return func() bool { return strings.Contains(typeSnapshot(t, env, 1), "disabled=true") }
			}, true, false, "Disabled request type #1"},
		{"types enable", []string{"types", "enable", "1"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				if err := env.Service.SetRequestTypeDisabled(context.Background(), env.Admin(), 1, true); err != nil {
					t.Fatal(err)
				}
				return func() bool { return strings.Contains(typeSnapshot(t, env, 1), "disabled=false") }
			}, true, false, "Enabled request type #1"},
		{"requests status", []string{"requests", "status", "1", "in_progress"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				submit(t, env, "ada@example.com", 1, "Lease", "", "low")
				return func() bool { return view(t, env, 1).Status == vocab.RequestInProgress }
			}, true, true, "Request #1 is now in_progress"},
		{"requests note", []string{"requests", "note", "--visible", "1", "Looks", "fine"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				submit(t, env, "ada@example.com", 1, "Lease", "", "low")
				return func() bool {
					ev := view(t, env, 1).Events
					return ev[len(ev)-1].Body == "Looks fine" && !ev[len(ev)-1].Internal
				}
			}, true, true, "Note added to request #1"},
		{"requests note --internal from stdin", []string{"requests", "note", "--internal", "1"}, "Billable\n2h\n",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				submit(t, env, "ada@example.com", 1, "Lease", "", "low")
				return func() bool {
					ev := view(t, env, 1).Events
					return ev[len(ev)-1].Body == "Billable\n2h" && ev[len(ev)-1].Internal
				}
			}, true, true, "Internal note added to request #1"},
		{"requests assign", []string{"requests", "assign", "1", "sam"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				submit(t, env, "ada@example.com", 1, "Lease", "", "low")
				return func() bool { return view(t, env, 1).Assignee == "sam" }
			}, true, true, "Request #1 is assigned to sam."},
		{"requests assign -", []string{"requests", "assign", "1", "-"}, "",
			func(t *testing.T, env *portaltest.Env) check {
				addReview(t, env)
				submit(t, env, "ada@example.com", 1, "Lease", "", "low")
				if err := env.Service.AssignRequest(context.Background(), env.Admin(), 1, "ann"); err != nil {
					t.Fatal(err)
				}
				return func() bool { return view(t, env, 1).Assignee == "" }
			}, true, true, "Request #1 is assigned to no one."},
	}
	for _, tt := range tests {
		for _, role := range []struct {
			name    string
			actor   portal.Actor
			allowed bool
		}{{"admin", admin(), tt.admin}, {"support", support(), tt.support}} {
			t.Run(tt.name+"/"+role.name, func(t *testing.T) {
				env := setup(t)
				happened := tt.prepare(t, env)
				args := append([]string(nil), tt.args...)
				if args[len(args)-1] == "ID" {
					args[len(args)-1] = strconv.FormatUint(env.LastMail(t, "ivy@example.com", portal.MailInvitation).ID, 10)
				}
				r := run(t, env, role.actor, tt.stdin, args...)
				if role.allowed {
					if r.code != commands.ExitOK || r.err != "" || !strings.Contains(r.out, tt.out) {
						t.Fatalf("code %d, stdout %q, stderr %q; want 0 and %q", r.code, r.out, r.err, tt.out)
					}
					if !happened() {
						t.Error("the command succeeded but the store did not change")
					}
					return
				}
				if r.code != commands.ExitFailed || r.err != forbidden+"\n" || r.out != "" {
					t.Fatalf("code %d, stdout %q, stderr %q; want 1 and %q", r.code, r.out, r.err, forbidden)
				}
				if happened() {
					t.Error("the refused command changed the store")
				}
			})
		}
	}
}

// TestReadsPerRole runs every read as both roles; support's audit log and
// a client's recent events hold only support's own actions.
func TestReadsPerRole(t *testing.T) {
	env := setup(t)
	// A request by ada, made while she is active.
	addReview(t, env)
	submit(t, env, "ada@example.com", 1, "Lease for the office", "", "low")
	// One action by each: ann disables and enables ada, sam resends ivy's
	// invitation.
	if r := run(t, env, admin(), "", "clients", "disable", "ada@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	if r := run(t, env, support(), "", "invites", "resend", "ivy@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	addAwaiting(t, env, "wendy@example.com")

	tests := []struct {
		name    string
		args    []string
		support bool
		want    []string // in stdout, for both roles
	}{
		{"clients list", []string{"clients", "list"}, true, []string{"ada@example.com", "disabled", "ivy@example.com", "invitation open"}},
		{"clients list --status awaiting", []string{"clients", "list", "--status", "awaiting"}, true, []string{"wendy@example.com"}},
		{"clients show", []string{"clients", "show", "ivy@example.com"}, true, []string{"Ivy Invited", "revoked", "open", "by sam"}},
		{"clients show --json", []string{"clients", "show", "ivy@example.com", "--json"}, true, []string{`"invitations"`}},
		{"signup status", []string{"signup", "status"}, true, []string{"off"}},
		{"signup pending", []string{"signup", "pending"}, true, []string{"wendy@example.com", "awaiting"}},
		{"outbox list", []string{"outbox", "list"}, true, []string{"ivy@example.com"}},
		{"audit list", []string{"audit", "list"}, true, []string{"sam", "invitation.resend"}},
		{"staff list", []string{"staff", "list"}, false, []string{"ann"}},
		{"types list", []string{"types", "list"}, true, []string{"1  Contract review  enabled  3 fields"}},
		{"types list --json", []string{"types", "list", "--json"}, true, []string{`"fields":["Subject: text, required"`}},
		{"types show", []string{"types", "show", "1"}, true, []string{"Urgency: choice(Low | Normal | High), required"}},
		{"requests list", []string{"requests", "list"}, true, []string{"1  new  Contract review  ada@example.com  -"}},
		{"requests list --json", []string{"requests", "list", "--json", "--client", "ada@example.com"}, true, []string{`"client_email":"ada@example.com"`}},
		{"requests show", []string{"requests", "show", "1"}, true, []string{"Client       Ada Active <ada@example.com>", "submitted the request"}},
	}
	for _, tt := range tests {
		for _, role := range []struct {
			name    string
			actor   portal.Actor
			allowed bool
		}{{"admin", admin(), true}, {"support", support(), tt.support}} {
			t.Run(tt.name+"/"+role.name, func(t *testing.T) {
				r := run(t, env, role.actor, "", tt.args...)
				if !role.allowed {
					if r.code != 1 || r.out != "" || !strings.Contains(r.err, "Your role does not allow this") {
						t.Fatalf("code %d, stdout %q, stderr %q", r.code, r.out, r.err)
					}
					return
				}
				if r.code != 0 || r.err != "" {
					t.Fatalf("code %d, stderr %q", r.code, r.err)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.out, w) {
						t.Errorf("stdout lacks %q:\n%s", w, r.out)
					}
				}
			})
		}
	}

	// Support's audit log: their own actions only, whatever --actor says.
	for _, args := range [][]string{
		{"audit", "list", "--json"},
		{"audit", "list", "--json", "--actor", "ann"},
	} {
		r := run(t, env, support(), "", args...)
		var events []struct{ Actor, Action string }
		if err := json.Unmarshal([]byte(r.out), &events); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, r.out)
		}
		if args[len(args)-1] != "ann" && len(events) == 0 {
			t.Errorf("%v: support sees none of their own events", args)
		}
		for _, e := range events {
			if e.Actor != "sam" {
				t.Errorf("%v: support sees %s's %s", args, e.Actor, e.Action)
			}
		}
	}
	// The admin sees everyone's.
	r := run(t, env, admin(), "", "audit", "list", "--json")
	var events []struct{ Actor, Action string }
	if err := json.Unmarshal([]byte(r.out), &events); err != nil {
		t.Fatal(err)
	}
	actors := map[string]bool{}
	for _, e := range events {
		actors[e.Actor] = true
	}
	if !actors["ann"] || !actors["sam"] || !actors["test-admin"] {
		t.Errorf("admin sees the actors %v", actors)
	}

	// A client's recent events, as support sees them: their own only.
	r = run(t, env, support(), "", "clients", "show", "ada@example.com", "--json")
	var d struct {
		Events []struct{ Actor string }
	}
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Events {
		if e.Actor != "sam" {
			t.Errorf("support sees %s's event about ada in clients show", e.Actor)
		}
	}
}
