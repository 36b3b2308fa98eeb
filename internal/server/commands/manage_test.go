package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
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

func TestClientsShow(t *testing.T) {
	env := setup(t)
	if r := run(t, env, admin(), "", "invites", "resend", "ivy@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	r := run(t, env, support(), "", "clients", "show", "IVY@example.com")
	if r.code != 0 || r.err != "" {
		t.Fatalf("code %d, stderr %q", r.code, r.err)
	}
	for _, w := range []string{"Email          ivy@example.com", "Company        Acme", "Phone          -", "Status         invited",
		"Live sessions  0", "Invitations, newest first:", "open", "revoked", "by ann", "by test-admin",
		"Recent events: none."} { // support sees only their own events
		if !strings.Contains(r.out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.out)
		}
	}

	r = run(t, env, admin(), "", "clients", "show", "ivy@example.com", "--json")
	var d struct {
		Email        string
		Status       string
		LiveSessions *int `json:"live_sessions"`
		Invitations  []struct {
			State     string
			CreatedBy string  `json:"created_by"`
			RevokedAt *string `json:"revoked_at"`
			ExpiresAt string  `json:"expires_at"`
		}
		Events []struct{ Actor, Action string }
	}
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.out)
	}
	if d.Email != "ivy@example.com" || d.Status != "invited" || d.LiveSessions == nil || len(d.Invitations) != 2 {
		t.Fatalf("%+v", d)
	}
	if d.Invitations[0].State != "open" || d.Invitations[0].CreatedBy != "ann" ||
		d.Invitations[1].State != "revoked" || d.Invitations[1].RevokedAt == nil {
		t.Errorf("invitations %+v", d.Invitations)
	}
	if len(d.Events) < 2 || d.Events[0].Action != "invitation.resend" || d.Events[0].Actor != "ann" {
		t.Errorf("events %+v", d.Events)
	}

	// A live session shows, and a client without invitations says so.
	bindSession(t, env, "ada@example.com")
	r = run(t, env, admin(), "", "clients", "show", "ada@example.com")
	if !strings.Contains(r.out, "Live sessions  1") {
		t.Errorf("stdout:\n%s", r.out)
	}
	addAwaiting(t, env, "wendy@example.com")
	r = run(t, env, admin(), "", "clients", "show", "wendy@example.com")
	if !strings.Contains(r.out, "Invitations: none.") || !strings.Contains(r.out, "Status         awaiting") {
		t.Errorf("stdout:\n%s", r.out)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"clients", "show", "who\x1b[2J@example.com"}, 1, "No client with the email who[2J@example.com."},
		{[]string{"clients", "show"}, 2, "Missing EMAIL; usage: portal-admin clients show EMAIL [--json]"},
	} {
		r := run(t, env, admin(), "", tt.args...)
		if r.code != tt.code || r.out != "" || !strings.Contains(r.err, tt.want) {
			t.Errorf("%q: code %d, stdout %q, stderr %q", tt.args, r.code, r.out, r.err)
		}
		oneLine(t, r.err)
		noRaw(t, "stderr", r.err)
	}
}

// TestClientActionsRefusals: the portal's refusals, one line each.
func TestClientActionsRefusals(t *testing.T) {
	env := setup(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"clients", "disable", "nobody@example.com"}, 1, "No client with the email nobody@example.com."},
		{[]string{"clients", "enable", "ada@example.com"}, 1, "ada@example.com is active, not disabled."},
		{[]string{"clients", "end-sessions", "nobody\u009b@example.com"}, 1, "No client with the email nobody@example.com."},
		{[]string{"clients", "disable"}, 2, "Missing EMAIL"},
		{[]string{"signup", "approve", "ada@example.com"}, 1, "ada@example.com is active, not waiting for approval."},
		{[]string{"signup", "reject", "nobody@example.com"}, 1, "No client with the email nobody@example.com."},
		{[]string{"signup", "on", "--approval=maybe"}, 2, `The flag --approval does not take "maybe"`},
		{[]string{"outbox", "retry", "999"}, 1, "Mail 999 is not waiting to be sent."},
		{[]string{"outbox", "retry", "abc\x1b[2J"}, 2, `"abc[2J" is not a mail number; take the ID from "outbox list".`},
		{[]string{"outbox", "retry", "0"}, 2, `"0" is not a mail number`},
		{[]string{"outbox", "retry", "-1"}, 2, `Unknown flag -1`},
		{[]string{"outbox", "retry"}, 2, "Missing ID; usage: portal-admin outbox retry ID"},
		{[]string{"staff", "remove", "ann"}, 1, "You cannot remove your own keys; ask another admin."},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, env, admin(), "", tt.args...)
			if r.code != tt.code || r.out != "" || !strings.Contains(r.err, tt.want) {
				t.Fatalf("code %d, stdout %q, stderr %q; want %d and %q", r.code, r.out, r.err, tt.code, tt.want)
			}
			oneLine(t, r.err)
			noRaw(t, "stderr", r.err)
		})
	}
	// Disabling twice is refused the second time.
	if r := run(t, env, admin(), "", "clients", "disable", "ada@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	if r := run(t, env, admin(), "", "clients", "disable", "ADA@example.com"); r.code != 1 || r.err != "ada@example.com is already disabled.\n" {
		t.Errorf("code %d, stderr %q", r.code, r.err)
	}
	// A client who never set a password is invited again when enabled.
	if r := run(t, env, admin(), "", "clients", "disable", "ivy@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	r := run(t, env, admin(), "", "clients", "enable", "ivy@example.com")
	if r.code != 0 || !strings.Contains(r.out, "a new invitation is queued") || clientStatus(t, env, "ivy@example.com") != vocab.StatusInvited {
		t.Errorf("code %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

func TestSignupModes(t *testing.T) {
	env := setup(t)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"signup", "status"}, "off"},
		{[]string{"signup", "on", "--approval"}, "on (approval)"},
		{[]string{"signup", "status"}, "on (approval)"},
		{[]string{"signup", "on"}, "on"},
		{[]string{"signup", "off"}, "off"},
	}
	for _, s := range steps {
		r := run(t, env, admin(), "", s.args...)
		if r.code != 0 || r.out != s.want+"\n" {
			t.Fatalf("%v: code %d, stdout %q, stderr %q; want %q", s.args, r.code, r.out, r.err, s.want)
		}
	}

	// The queue.
	r := run(t, env, support(), "", "signup", "pending", "--json")
	if r.code != 0 || strings.TrimSpace(r.out) != "[]" {
		t.Fatalf("empty queue: code %d, %q", r.code, r.out)
	}
	addAwaiting(t, env, "wendy@example.com")
	addAwaiting(t, env, "walt@example.com")
	r = run(t, env, support(), "", "signup", "pending", "--json")
	var got []struct{ Email, Status string }
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 2 || got[0].Email != "walt@example.com" || got[1].Status != "awaiting" {
		t.Fatalf("queue: %v %q", err, r.out)
	}
	if r := run(t, env, support(), "", "signup", "approve", "walt@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	if r := run(t, env, support(), "", "signup", "reject", "WENDY@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	if r := run(t, env, support(), "", "signup", "pending"); r.code != 0 || r.out != "" {
		t.Errorf("queue not empty: %q", r.out)
	}
	r = run(t, env, admin(), "", "clients", "list", "--status", "rejected")
	if !strings.HasPrefix(r.out, "wendy@example.com") {
		t.Errorf("rejected: %q", r.out)
	}
}

func TestClientsListInvitation(t *testing.T) {
	env := setup(t)
	addAwaiting(t, env, "wendy@example.com")
	r := run(t, env, admin(), "", "clients", "list", "--json")
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ada@example.com": "accepted", "ivy@example.com": "open", "wendy@example.com": nil}
	if len(got) != 3 {
		t.Fatalf("%v", got)
	}
	for _, c := range got {
		inv, ok := c["invitation"]
		if !ok || inv != want[c["email"].(string)] {
			t.Errorf("%v: invitation %v", c["email"], inv)
		}
	}
	r = run(t, env, admin(), "", "clients", "list")
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "invitation accepted") || !strings.HasSuffix(lines[1], "invitation open") ||
		!strings.HasSuffix(lines[2], "awaiting  -") {
		t.Errorf("plain:\n%s", r.out)
	}
}

func TestOutboxRetry(t *testing.T) {
	env := setup(t)
	ctx := context.Background()
	m := env.LastMail(t, "ivy@example.com", portal.MailInvitation)
	later := time.Now().Add(6 * time.Hour)
	if err := env.Store.MarkMailFailed(ctx, "", m.ID, 3, later, "451 try later"); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatUint(m.ID, 10)
	if r := run(t, env, support(), "", "outbox", "list"); !strings.Contains(r.out, id+"  ivy@example.com  invitation  queued  attempts: 3  next try ") {
		t.Fatalf("outbox:\n%s", r.out)
	}
	r := run(t, env, support(), "", "outbox", "retry", id)
	if r.code != 0 || r.out != "Mail "+id+" will be tried again now.\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	if got := env.LastMail(t, "ivy@example.com", portal.MailInvitation); got.NextAttemptAt.After(time.Now()) {
		t.Errorf("next try still %v", got.NextAttemptAt)
	}
	// A sent mail is not retried.
	if err := env.Store.MarkMailSent(ctx, m.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, support(), "", "outbox", "retry", id); r.code != 1 || !strings.Contains(r.err, "is not waiting to be sent") {
		t.Errorf("sent mail: code %d, stderr %q", r.code, r.err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"24h", now.Add(-24 * time.Hour), true},
		{"90m", now.Add(-90 * time.Minute), true},
		{"7d", now.AddDate(0, 0, -7), true},
		{"1d12h", now.Add(-36 * time.Hour), true},
		{" 2d ", now.AddDate(0, 0, -2), true},
		{"0s", now, true},
		{"2030-06-01", time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"2030-06-01T08:30:00+02:00", time.Date(2030, 6, 1, 6, 30, 0, 0, time.UTC), true},
		{"2030-06-01T08:30:00Z", time.Date(2030, 6, 1, 8, 30, 0, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"7", time.Time{}, false},
		{"-24h", time.Time{}, false},
		{"1d-2h", time.Time{}, false},
		{"d", time.Time{}, false},
		{"7days", time.Time{}, false},
		{"2030-13-01", time.Time{}, false},
		{"2030-06-01 08:30", time.Time{}, false},
		{"99999999999h", time.Time{}, false},
		{"99999d2562047h", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := commands.ParseSince(tt.in, now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%q: got %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAuditList(t *testing.T) {
	env := setup(t)
	ctx := context.Background()
	old := &store.AuditEvent{At: time.Now().AddDate(0, 0, -10), ActorKind: vocab.ActorStaff, Actor: "ann",
		Action: "client.disable", Subject: "ada@example.com", Detail: "long ago \x1b[2J\u009b31m"}
	if err := env.Store.AddAudit(ctx, old); err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, admin(), "", "clients", "disable", "ada@example.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	count := func(args ...string) int {
		t.Helper()
		r := run(t, env, admin(), "", append([]string{"audit", "list", "--json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: code %d, %s", args, r.code, r.err)
		}
		noRaw(t, "stdout", r.out)
		var got []struct{ Actor, Action, Subject string }
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, r.out)
		}
		return len(got)
	}
	all := count()
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--since", "7d"}, all - 1},
		{[]string{"--since", "30d"}, all},
		{[]string{"--since", time.Now().AddDate(0, 0, -20).Format("2006-01-02")}, all},
		{[]string{"--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 0},
		{[]string{"--action", "client.disable"}, 2},
		{[]string{"--action", "client.disable", "--since", "24h"}, 1},
		{[]string{"--subject", "ADA@example.com", "--action", "client.disable"}, 2},
		{[]string{"--actor", "ann"}, 2},
		{[]string{"--actor", "nobody"}, 0},
		{[]string{"--limit", "1"}, 1},
	}
	for _, tt := range tests {
		if got := count(tt.args...); got != tt.want {
			t.Errorf("%v: %d events, want %d", tt.args, got, tt.want)
		}
	}

	r := run(t, env, admin(), "", "audit", "list", "--action", "client.disable")
	noRaw(t, "stdout", r.out)
	if lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[0], "ann  client.disable  ada@example.com  10.0.0.1:50000  was active") ||
		!strings.Contains(lines[1], "long ago [2J31m") {
		t.Errorf("plain:\n%s", r.out)
	}

	for _, bad := range []string{"yesterday", "-24h", "7", "2030-13-01", "\x1b[2J1d", ""} {
		r := run(t, env, admin(), "", "audit", "list", "--since", bad)
		if r.code != commands.ExitUsage || r.out != "" ||
			!strings.Contains(r.err, "give a duration back from now (90m, 24h, 7d), a date (2006-01-02) or an RFC 3339 time.") {
			t.Errorf("--since %q: code %d, stdout %q, stderr %q", bad, r.code, r.out, r.err)
		}
		oneLine(t, r.err)
		noRaw(t, "stderr", r.err)
	}
}

// TestAuditListWalksPages: a log longer than a page is listed whole, once.
func TestAuditListWalksPages(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	err := env.Store.Tx(ctx, func(tx *store.Store) error {
		for i := 0; i < 1200; i++ {
			if err := tx.AddAudit(ctx, &store.AuditEvent{At: time.Now(), ActorKind: vocab.ActorStaff, Actor: "ann", Action: "x.y"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, env, admin(), "", "audit", "list", "--json")
	var got []struct{ ID uint64 }
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1200 {
		t.Fatalf("%v, %d events", err, len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID >= got[i-1].ID {
			t.Fatalf("not newest first at %d", i)
		}
	}
}

// TestShowEscapes: a client stored with escape sequences in every field
// is shown harmless by show, in plain and JSON, and by the actions.
func TestShowEscapes(t *testing.T) {
	env := portaltest.New(t)
	now := time.Now()
	c := &store.Client{
		Email: "evil@example.com", Name: "Eve\x1b]0;owned\x07\x1b[2J\u009b31m\u202eliam",
		Company: "Co\x1b[31m\r\nrm -rf", Phone: "+1" + env.InvalidUTF8(), Lang: "en\x1b[2J", Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	if err := env.Store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"clients", "show", "evil@example.com"},
		{"clients", "show", "evil@example.com", "--json"},
		{"clients", "end-sessions", "evil@example.com"},
		{"clients", "disable", "evil@example.com"},
		{"audit", "list"},
		{"audit", "list", "--json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := run(t, env, admin(), "", args...)
			if r.code != 0 {
				t.Fatalf("code %d: %q", r.code, r.err)
			}
			noRaw(t, "stdout", r.out)
			noRaw(t, "stderr", r.err)
			if args[1] == "show" && !strings.Contains(r.out, "Eve]0;owned[2J31mliam") {
				t.Errorf("the name is not shown cleaned:\n%s", r.out)
			}
			if args[len(args)-1] == "--json" {
				var v any
				if err := json.Unmarshal([]byte(r.out), &v); err != nil {
					t.Fatalf("JSON: %v %q", err, r.out)
				}
			}
		})
	}
}

// TestSignUpUnverifiedAndRemove: staff see the sign-ups still waiting for
// their code (no password, no code), and remove one, after which its code
// no longer works; bad IDs are refused with one line.
func TestSignUpUnverifiedAndRemove(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	if err := env.Service.SetSignUp(ctx, env.Admin(), true); err != nil {
		t.Fatal(err)
	}
	pw := portaltest.StrongPassword
	ticket, err := env.Service.SignUp(ctx, portal.Guest("10.9.9.9:1", "s"), portal.SignUpInput{Profile: portal.Profile{Name: "Eve Red", Email: "eve@example.com"}, Password: pw, Repeat: pw})
	if err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, "eve@example.com", portal.MailVerifyCode).Body)
	r := run(t, env, support(), "", "signup", "unverified", "--json")
	var got []struct {
		ID    uint64
		Email string
		Name  string
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || r.code != 0 || len(got) != 1 || got[0].Email != "eve@example.com" {
		t.Fatalf("unverified: %v code %d %q %q", err, r.code, r.out, r.err)
	}
	noRaw(t, "stdout", r.out)
	if strings.Contains(r.out, "argon2") || strings.Contains(r.out, "password") {
		t.Fatalf("the listing shows secrets: %q", r.out)
	}
	for _, bad := range []string{"0", "-1", "x", "99999999999999999999", "\x1b[2J"} {
		r := run(t, env, support(), "", "signup", "remove", bad)
		if r.code == 0 {
			t.Fatalf("remove %q: exit 0", bad)
		}
		oneLine(t, r.err)
		noRaw(t, "stderr", r.err)
	}
	if r := run(t, env, support(), "", "signup", "remove", "424242"); r.code == 0 || !strings.Contains(r.err, "No sign-up 424242 is waiting") {
		t.Fatalf("remove an unknown id: code %d %q", r.code, r.err)
	}
	id := fmt.Sprint(got[0].ID)
	if r := run(t, env, support(), "", "signup", "remove", id); r.code != 0 || !strings.Contains(r.out, "Removed sign-up "+id) {
		t.Fatalf("remove: code %d %q %q", r.code, r.out, r.err)
	}
	if _, err := env.Service.VerifyEmail(ctx, portal.Guest("10.9.9.9:1", "s"), ticket, code); portal.AsError(err) == nil || portal.AsError(err).Key != "error.code.wrong" {
		t.Fatalf("the removed sign-up's code: %v", err)
	}
	if r := run(t, env, support(), "", "signup", "unverified"); r.code != 0 || r.out != "" {
		t.Fatalf("after the remove: %q", r.out)
	}
}
