package commands_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/server/commands"
	"github.com/clientportal/portal/internal/store"
)

type result struct {
	out, err string
	code     int
}

func run(t *testing.T, env *portaltest.Env, a portal.Actor, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := commands.Run(context.Background(), env.Service, a, args, strings.NewReader(stdin), &out, &errb)
	return result{out: out.String(), err: errb.String(), code: code}
}

func admin() portal.Actor {
	return portal.StaffActor(&portal.StaffMember{Name: "ann", Role: vocab.RoleAdmin}, "10.0.0.1:50000")
}

func support() portal.Actor {
	return portal.StaffActor(&portal.StaffMember{Name: "sam", Role: vocab.RoleSupport}, "10.0.0.2:50000")
}

func newKey(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " " + comment
}

// setup is a portal with one admin (ann) and one support (sam) registered,
// one invited client and one active client.
func setup(t *testing.T) *portaltest.Env {
	t.Helper()
	env := portaltest.New(t)
	ctx := context.Background()
	for _, s := range []struct{ name, role string }{{"ann", vocab.RoleAdmin}, {"sam", vocab.RoleSupport}} {
		if _, err := env.Service.AddStaff(ctx, env.Admin(), s.name, s.role, newKey(t, s.name+"@laptop")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ivy@example.com", Name: "Ivy Invited", Company: "Acme"}); err != nil {
		t.Fatal(err)
	}
	env.AddActiveClient(t, "ada@example.com", "Ada Active")
	return env
}

// oneLine checks that s is exactly one line: errors are one line on stderr.
func oneLine(t *testing.T, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("stderr is not one line: %q", s)
	}
}

// noRaw fails when s holds anything a terminal would act on.
func noRaw(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\u009b", "\x07", "\x00", "\u202e", "\r"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s holds raw %q: %q", what, bad, s)
		}
	}
}

func TestHappyPathsAdmin(t *testing.T) {
	env := setup(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"url", []string{"url"}, []string{"ssh://portal.example.com:2222\n"}},
		{"signup status", []string{"signup", "status"}, []string{"off\n"}},
		{"clients list", []string{"clients", "list"}, []string{"ada@example.com", "Ada Active", "active", "ivy@example.com", "Acme", "invited"}},
		{"clients add", []string{"clients", "add", "--email", "Bob@Example.com", "--name", "Bob", "--company", "Bob & Co", "--phone", "+1 555 010 0199"}, []string{"Added bob@example.com; invitation queued.\n"}},
		{"invites resend", []string{"invites", "resend", "IVY@example.com"}, []string{"New invitation queued for IVY@example.com"}},
		{"outbox list", []string{"outbox", "list"}, []string{"ivy@example.com", "invitation", "queued", "attempts: 0", "next try "}},
		{"staff list", []string{"staff", "list"}, []string{"ann", "admin", "sam", "support", "SHA256:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), "", tt.args...)
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

func TestSupportRole(t *testing.T) {
	env := setup(t)
	forbidden := env.Catalog.Printer("en").T("error.forbidden")
	tests := []struct {
		name    string
		args    []string
		stdin   string
		allowed bool
	}{
		{"url", []string{"url"}, "", true},
		{"signup status", []string{"signup", "status"}, "", true},
		{"clients list", []string{"clients", "list"}, "", true},
		{"clients list json", []string{"clients", "list", "--json"}, "", true},
		{"outbox list", []string{"outbox", "list"}, "", true},
		{"invites resend", []string{"invites", "resend", "ivy@example.com"}, "", true},
		{"signup on", []string{"signup", "on"}, "", false},
		{"signup off", []string{"signup", "off"}, "", false},
		{"clients add", []string{"clients", "add", "--email", "x@example.com", "--name", "X"}, "", false},
		{"staff list", []string{"staff", "list"}, "", false},
		{"staff add", []string{"staff", "add", "--name", "eve", "--role", "admin", "--key", "-"}, newKey(t, "eve") + "\n", false},
		{"staff remove", []string{"staff", "remove", "ann"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, support(), tt.stdin, tt.args...)
			if tt.allowed {
				if r.code != 0 || r.err != "" {
					t.Fatalf("code %d, stderr %q", r.code, r.err)
				}
				return
			}
			if r.code != commands.ExitFailed || r.err != forbidden+"\n" || r.out != "" {
				t.Fatalf("got code %d, stdout %q, stderr %q; want 1 and %q", r.code, r.out, r.err, forbidden)
			}
		})
	}
	// The refusals changed nothing.
	if on, _ := env.Service.SignUpEnabled(context.Background()); on {
		t.Error("support turned sign-up on")
	}
	if _, err := env.Store.ClientByEmail(context.Background(), "x@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("support added a client: %v", err)
	}
}

func TestClientsAdd(t *testing.T) {
	env := setup(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		wantErr  string
		wantMail string
	}{
		{"queues the invitation", []string{"--email", "new@example.com", "--name", "New Client"}, 0, "", "new@example.com"},
		{"duplicate names the existing client", []string{"--email", " IVY@EXAMPLE.COM ", "--name", "Other"}, 1,
			"--email: A client with this email already exists: Ivy Invited <ivy@example.com>, invited.", ""},
		{"missing email", []string{"--name", "N"}, 2, "Missing --email", ""},
		{"missing name", []string{"--email", "n@example.com"}, 2, "Missing --name", ""},
		{"empty name", []string{"--email", "n@example.com", "--name", " "}, 1, "--name: Required.", ""},
		{"bad email", []string{"--email", "not-an-email", "--name", "N"}, 1, "--email: That is not an email address", ""},
		{"escape in name", []string{"--email", "n@example.com", "--name", "Evil\x1b[2J"}, 1, "--name: Contains control characters", ""},
		{"C1 CSI in company", []string{"--email", "n@example.com", "--name", "N", "--company", "Acme\u009b31m"}, 1, "--company: Contains control characters", ""},
		{"bidi in name", []string{"--email", "n@example.com", "--name", "abc\u202edef"}, 1, "--name: Contains control characters", ""},
		{"invalid UTF-8 email", []string{"--email", "n\xff@example.com", "--name", "N"}, 1, "--email: That is not an email address", ""},
		{"100 kB name", []string{"--email", "n@example.com", "--name", strings.Repeat("a", 100_000)}, 1, "--name: Too long: at most 200 characters.", ""},
		{"100 kB email", []string{"--email", strings.Repeat("a", 100_000) + "@example.com", "--name", "N"}, 1, "--email: That is not an email address", ""},
		{"bad phone", []string{"--email", "n@example.com", "--name", "N", "--phone", "call me"}, 1, "--phone: Use digits", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), "", append([]string{"clients", "add"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.out, r.err)
			}
			noRaw(t, "stderr", r.err)
			if tt.wantErr != "" {
				oneLine(t, r.err)
				if !strings.Contains(r.err, tt.wantErr) {
					t.Errorf("stderr %q lacks %q", r.err, tt.wantErr)
				}
				if r.out != "" {
					t.Errorf("stdout %q on failure", r.out)
				}
				if len(r.err) > 1000 {
					t.Errorf("stderr is %d bytes: the value was echoed whole", len(r.err))
				}
			}
			if tt.wantMail != "" {
				m := env.LastMail(t, tt.wantMail, portal.MailInvitation)
				if !strings.Contains(m.Body, "invite-") {
					t.Errorf("invitation mail has no invite command:\n%s", m.Body)
				}
			}
		})
	}
}

// TestClientsAddLang: the client's language is stored and the invitation
// goes out in it.
func TestClientsAddLang(t *testing.T) {
	env := setup(t)
	fr := env.Catalog.Printer("fr").T("mail.invitation.subject")
	en := env.Catalog.Printer("en").T("mail.invitation.subject")
	tests := []struct {
		name    string
		lang    []string // the --lang flag and its value, if given
		code    int
		want    string // stderr when refused
		stored  string
		subject string
	}{
		{"none chosen: English mail, the client chooses later", nil, 0, "", "", en},
		{"French", []string{"--lang", "fr"}, 0, "", "fr", fr},
		{"English", []string{"--lang=en"}, 0, "", "en", en},
		{"any case", []string{"--lang", "FR"}, 0, "", "fr", fr},
		{"unknown", []string{"--lang", "de"}, 1, "--lang: Unknown language; use one of: en, fr.", "", ""},
		{"a locale is not a language", []string{"--lang", "fr_CA"}, 1, "--lang: Unknown language", "", ""},
		{"empty", []string{"--lang", ""}, 2, "The flag --lang needs a value.", "", ""},
		{"escape", []string{"--lang", "fr" + esc2J}, 1, "--lang: Unknown language", "", ""},
		{"OSC 52", []string{"--lang", osc52}, 1, "--lang: Unknown language", "", ""},
		{"invalid UTF-8", []string{"--lang", badUTF8}, 1, "--lang: Unknown language", "", ""},
		{"100 kB", []string{"--lang", huge}, 1, "--lang: Unknown language", "", ""},
		{"no value", []string{"--lang"}, 2, "The flag --lang needs a value.", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := fmt.Sprintf("lang%d@example.com", i)
			args := append([]string{"clients", "add", "--email", email, "--name", "Lou"}, tt.lang...)
			r := run(t, env, admin(), "", args...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.out, r.err)
			}
			noRaw(t, "stderr", r.err)
			if tt.code != 0 {
				oneLine(t, r.err)
				if !strings.Contains(r.err, tt.want) || r.out != "" || len(r.err) > 500 {
					t.Errorf("stdout %q, stderr %q; want %q", r.out, r.err, tt.want)
				}
				if clientStatus(t, env, email) != "" {
					t.Error("the refused client was stored")
				}
				return
			}
			c := env.ClientByEmail(t, email)
			if c.Lang != tt.stored {
				t.Errorf("language %q, want %q", c.Lang, tt.stored)
			}
			if m := env.LastMail(t, email, portal.MailInvitation); m.Subject != tt.subject {
				t.Errorf("invitation subject %q, want %q", m.Subject, tt.subject)
			}
		})
	}
}

func TestClientsListJSON(t *testing.T) {
	env := setup(t)
	r := run(t, env, admin(), "", "clients", "list", "--json")
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.out)
	}
	if len(got) != 2 {
		t.Fatalf("%d clients, want 2", len(got))
	}
	for _, f := range []string{"email", "name", "company", "phone", "status", "created_at", "last_login_at"} {
		for _, c := range got {
			if _, ok := c[f]; !ok {
				t.Errorf("client %v has no %q", c["email"], f)
			}
		}
	}
	ada, ivy := got[0], got[1]
	if ada["email"] != "ada@example.com" || ada["status"] != "active" || ada["last_login_at"] == nil {
		t.Errorf("ada: %v", ada)
	}
	if ivy["email"] != "ivy@example.com" || ivy["company"] != "Acme" || ivy["last_login_at"] != nil {
		t.Errorf("ivy: %v", ivy)
	}
	if _, err := time.Parse(time.RFC3339, ivy["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", err)
	}

	// An empty result is still an array.
	r = run(t, env, admin(), "", "clients", "list", "--json", "--search", "nobody")
	if r.code != 0 || strings.TrimSpace(r.out) != "[]" {
		t.Errorf("empty listing: code %d, %q", r.code, r.out)
	}
}

func TestStoredEscapesNeverRaw(t *testing.T) {
	env := portaltest.New(t)
	now := time.Now()
	// Straight into the store: the portal would refuse these, but data
	// from an old version or an import must still be shown safely.
	c := &store.Client{
		Email: "evil@example.com", Name: "Eve\x1b]0;owned\x07\x1b[2J\u009b31m\u202eliam",
		Company: "Co\x1b[31m\r\nrm -rf", Phone: "+1" + env.InvalidUTF8(), Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	if err := env.Store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"clients", "list"},
		{"clients", "list", "--json"},
		{"clients", "add", "--email", "EVIL@example.com", "--name", "Other"},
		{"invites", "resend", "evil@example.com"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := run(t, env, admin(), "", args...)
			noRaw(t, "stdout", r.out)
			noRaw(t, "stderr", r.err)
			if !strings.Contains(r.out+r.err, "Eve]0;owned[2J31mliam") && args[1] != "resend" {
				t.Errorf("the name is not shown cleaned:\nstdout %q\nstderr %q", r.out, r.err)
			}
			if args[len(args)-1] == "--json" {
				var got []map[string]any
				if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 {
					t.Fatalf("JSON: %v %q", err, r.out)
				}
			}
		})
	}
}

func TestClientsListFilters(t *testing.T) {
	env := setup(t)
	tests := []struct {
		name string
		args []string
		want []string // emails, in order
		code int
	}{
		{"search email prefix", []string{"--search", "IV"}, []string{"ivy@example.com"}, 0},
		{"search name prefix", []string{"--search", "ada act"}, []string{"ada@example.com"}, 0},
		{"search company prefix", []string{"--search", "acm"}, []string{"ivy@example.com"}, 0},
		{"status active", []string{"--status", "active"}, []string{"ada@example.com"}, 0},
		{"status invited", []string{"--status", "invited"}, []string{"ivy@example.com"}, 0},
		{"status disabled", []string{"--status", "disabled"}, nil, 0},
		{"search and status", []string{"--search", "ivy", "--status", "active"}, nil, 0},
		{"limit", []string{"--limit", "1"}, []string{"ada@example.com"}, 0},
		{"after", []string{"--after", "ADA@example.com"}, []string{"ivy@example.com"}, 0},
		{"hostile search finds nothing", []string{"--search", "\x1b[2J" + strings.Repeat("x", 100_000)}, nil, 0},
		{"bad status", []string{"--status", "gone\x1b[2J"}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, support(), "", append([]string{"clients", "list", "--json"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stderr %q", r.code, tt.code, r.err)
			}
			noRaw(t, "stderr", r.err)
			if tt.code != 0 {
				oneLine(t, r.err)
				if !strings.Contains(r.err, "--status: unknown status; use one of: invited, awaiting, active, disabled, rejected.") {
					t.Errorf("stderr %q", r.err)
				}
				return
			}
			var got []struct{ Email string }
			if err := json.Unmarshal([]byte(r.out), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, r.out)
			}
			var emails []string
			for _, c := range got {
				emails = append(emails, c.Email)
			}
			if fmt.Sprint(emails) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", emails, tt.want)
			}
		})
	}
}

func TestClientsListWalksPages(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	const n = 2500
	now := time.Now()
	err := env.Store.Tx(ctx, func(tx *store.Store) error {
		for i := 0; i < n; i++ {
			c := &store.Client{Email: fmt.Sprintf("c%05d@example.com", i), Name: fmt.Sprintf("Client %d", i),
				Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateClient(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		count int
		first string
	}{
		{"plain, all", []string{}, n, "c00000@example.com"},
		{"json, all", []string{"--json"}, n, "c00000@example.com"},
		{"limit over a page", []string{"--json", "--limit", "1234"}, 1234, "c00000@example.com"},
		{"limit over the store's cap", []string{"--limit", "2400"}, 2400, "c00000@example.com"},
		{"after, to the end", []string{"--json", "--after", "c01999@example.com"}, 500, "c02000@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), "", append([]string{"clients", "list"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("code %d: %s", r.code, r.err)
			}
			var emails []string
			if strings.HasPrefix(r.out, "[") {
				var got []struct{ Email string }
				if err := json.Unmarshal([]byte(r.out), &got); err != nil {
					t.Fatal(err)
				}
				for _, c := range got {
					emails = append(emails, c.Email)
				}
			} else {
				for _, l := range strings.Split(strings.TrimSuffix(r.out, "\n"), "\n") {
					emails = append(emails, strings.Fields(l)[0])
				}
			}
			if len(emails) != tt.count || emails[0] != tt.first {
				t.Fatalf("%d clients from %s, want %d from %s", len(emails), emails[0], tt.count, tt.first)
			}
			seen := map[string]bool{}
			for _, e := range emails {
				if seen[e] {
					t.Fatalf("%s listed twice", e)
				}
				seen[e] = true
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	env := setup(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", []string{}, 2, `Give a command; run "help" to list them.`},
		{"unknown command", []string{"foo"}, 2, `Unknown command "foo"; run "help" to list the commands.`},
		{"unknown subcommand", []string{"clients", "frobnicate"}, 2, `Unknown command "clients frobnicate"; run "help clients" to list the commands.`},
		{"group without subcommand", []string{"clients"}, 2, `"clients" needs one of: add, disable, enable, end-sessions, import, list, show.`},
		{"types without subcommand", []string{"types"}, 2, `"types" needs one of: add, disable, edit, enable, list, show.`},
		{"unknown types subcommand", []string{"types", "remove", "1"}, 2, `Unknown command "types remove"; run "help types" to list the commands.`},
		{"hostile command", []string{"\x1b[2J\u009b31m" + strings.Repeat("z", 100_000)}, 2, `Unknown command "[2J31mzzz`},
		{"completion is not offered", []string{"completion", "bash"}, 2, `Unknown command "completion"`},
		{"shell completion request", []string{"__complete", "clients", ""}, 2, `Unknown command "__complete"`},
		{"unknown flag", []string{"clients", "list", "--bogus"}, 2, `Unknown flag --bogus; run "help clients list" for the flags.`},
		{"unknown shorthand", []string{"clients", "list", "-z"}, 2, `Unknown flag -z`},
		{"hostile flag", []string{"clients", "list", "--\x1b[2J=1"}, 2, `Unknown flag --[2J;`},
		{"flag without value", []string{"clients", "list", "--search"}, 2, `The flag --search needs a value.`},
		{"bad limit", []string{"clients", "list", "--limit", "many\x1b[2J"}, 2, `The flag --limit does not take "many[2J"`},
		{"zero limit", []string{"clients", "list", "--limit", "0"}, 2, `--limit takes a number of 1 or more.`},
		{"negative limit", []string{"outbox", "list", "--limit=-3"}, 2, `--limit takes a number of 1 or more.`},
		{"bad state", []string{"outbox", "list", "--state", "lost"}, 2, `Unknown state; use one of: queued, sent, failed.`},
		{"missing argument", []string{"invites", "resend"}, 2, `Missing EMAIL; usage: portal-admin invites resend EMAIL`},
		{"extra argument", []string{"url", "now"}, 2, `Unexpected argument "now"; usage: portal-admin url`},
		{"unknown help topic", []string{"help", "nope\x1b[2J"}, 2, `No help for "nope[2J"`},
		{"resend unknown client", []string{"invites", "resend", "who\x1b[2J@example.com"}, 1, `No client with the email who[2J@example.com.`},
		{"resend active client", []string{"invites", "resend", "ada@example.com"}, 1, `ada@example.com is active, not waiting for an invitation.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), "", tt.args...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stderr %q", r.code, tt.code, r.err)
			}
			if r.out != "" {
				t.Errorf("stdout %q", r.out)
			}
			oneLine(t, r.err)
			noRaw(t, "stderr", r.err)
			if !strings.Contains(r.err, tt.want) {
				t.Errorf("stderr %q lacks %q", r.err, tt.want)
			}
			if len(r.err) > 500 {
				t.Errorf("stderr is %d bytes", len(r.err))
			}
		})
	}
}

func TestHelp(t *testing.T) {
	env := setup(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"help", []string{"help"}, []string{"Usage:", "portal-admin COMMAND", "clients", "signup", "staff", "outbox", "audit", "invites", "url", "help",
			"\n  requests  ", "\n  types  "}},
		{"requests help", []string{"help", "requests"}, []string{"portal-admin requests COMMAND", "assign", "list", "note", "show", "status"}},
		{"types help", []string{"types", "--help"}, []string{"portal-admin types COMMAND", "add", "disable", "edit", "enable", "list", "show"}},
		{"requests list help", []string{"help", "requests", "list"}, []string{"--assignee NAME", "--client EMAIL", "--type ID", "--status S", "--limit N", "--json"}},
		{"requests note help", []string{"requests", "note", "-h"}, []string{"[TEXT...]", "--internal", "--visible", "standard input"}},
		{"types add help", []string{"help", "types", "add"}, []string{"NAME...", "--field SPEC", "--description D", "Subject: text, required"}},
		{"clients add help", []string{"help", "clients", "add"}, []string{"[--lang en|fr]", "--lang L", "en, fr"}},
		{"--help", []string{"--help"}, []string{"Usage:", "clients"}},
		{"group help", []string{"clients", "--help"}, []string{"portal-admin clients COMMAND", "add", "list"}},
		{"help topic", []string{"help", "clients", "list"}, []string{"portal-admin clients list [--json]", "--search TEXT", "--limit N", "-h, --help"}},
		{"leaf -h", []string{"staff", "add", "-h"}, []string{"--key", "--role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, support(), "", tt.args...)
			if r.code != 0 || r.err != "" {
				t.Fatalf("code %d, stderr %q", r.code, r.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("help lacks %q:\n%s", w, r.out)
				}
			}
			for _, bad := range []string{"completion", "__complete", "[flags]", "Help about any command"} {
				if strings.Contains(r.out, bad) {
					t.Errorf("help shows %q:\n%s", bad, r.out)
				}
			}
		})
	}
}

func TestSignupRoundTrip(t *testing.T) {
	env := setup(t)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"signup", "status"}, "off"},
		{[]string{"signup", "on"}, "on"},
		{[]string{"signup", "status"}, "on"},
		{[]string{"signup", "on"}, "on"},
		{[]string{"signup", "off"}, "off"},
		{[]string{"signup", "status"}, "off"},
	}
	for _, s := range steps {
		r := run(t, env, admin(), "", s.args...)
		if r.code != 0 || r.out != s.want+"\n" {
			t.Fatalf("%v: code %d, stdout %q, stderr %q; want %q", s.args, r.code, r.out, r.err, s.want)
		}
	}
}

func TestStaff(t *testing.T) {
	env := setup(t)
	carlKey := newKey(t, "carl@desk")
	eveKey := newKey(t, "eve@laptop")
	steps := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // in stdout
		err   string // in stderr
	}{
		{"add from flag", []string{"staff", "add", "--name", "bea", "--role", "support", "--key", newKey(t, "bea")}, "", 0, "Added bea (support) with key SHA256:", ""},
		{"add from stdin", []string{"staff", "add", "--name", "carl", "--role", "admin", "--key", "-"}, "# carl's key\n\n" + carlKey + "\n", 0, "Added carl (admin)", ""},
		{"same key again", []string{"staff", "add", "--name", "dup", "--role", "admin", "--key", carlKey}, "", 1, "", "--key: That key is already registered (SHA256:"},
		{"empty stdin", []string{"staff", "add", "--name", "dan", "--role", "admin", "--key", "-"}, "", 1, "", "--key: Give a public key"},
		{"not a key", []string{"staff", "add", "--name", "dan", "--role", "admin", "--key", "ssh-ed25519 \x1b[2J"}, "", 1, "", "--key: That is not an SSH public key"},
		{"huge key on stdin", []string{"staff", "add", "--name", "dan", "--role", "admin", "--key", "-"}, strings.Repeat("A", 100_000), 1, "", "--key: That is not an SSH public key"},
		{"bad role", []string{"staff", "add", "--name", "dan", "--role", "root", "--key", newKey(t, "d")}, "", 1, "", "--role: The role is admin or support."},
		{"name with spaces", []string{"staff", "add", "--name", "dan smith", "--role", "admin", "--key", newKey(t, "d")}, "", 1, "", "--name: A staff name has no spaces"},
		{"hostile name", []string{"staff", "add", "--name", "d\x1b[2J", "--role", "admin", "--key", newKey(t, "d")}, "", 1, "", "--name: Contains control characters"},
		{"missing key", []string{"staff", "add", "--name", "dan", "--role", "admin"}, "", 2, "", "Missing --key"},
		{"list", []string{"staff", "list"}, "", 0, "carl", ""},
		{"remove", []string{"staff", "remove", "bea"}, "", 0, "Removed bea.", ""},
		{"remove unknown", []string{"staff", "remove", "nobody\x1b[2J"}, "", 1, "", "No staff member named nobody[2J."},
		{"remove an admin while another stays", []string{"staff", "remove", "carl"}, "", 0, "Removed carl.", ""},
		{"remove oneself", []string{"staff", "remove", "ann"}, "", 1, "", "You cannot remove your own keys; ask another admin."},
		{"add a second key for eve", []string{"staff", "add", "--name", "eve", "--role", "support", "--key", eveKey}, "", 0, "Added eve (support)", ""},
		{"remove one key", []string{"staff", "remove-key", fingerprintOf(t, eveKey)}, "", 0, "Removed the key SHA256:", ""},
		{"remove an unknown key", []string{"staff", "remove-key", "SHA256:nope\x1b[2J"}, "", 1, "", "No staff key SHA256:nope[2J."},
		{"remove-key without a key", []string{"staff", "remove-key"}, "", 2, "", "FINGERPRINT"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := run(t, env, admin(), s.stdin, s.args...)
			if r.code != s.code {
				t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, s.code, r.out, r.err)
			}
			noRaw(t, "stderr", r.err)
			if s.code != 0 {
				oneLine(t, r.err)
			}
			if !strings.Contains(r.out, s.out) || !strings.Contains(r.err, s.err) {
				t.Errorf("stdout %q, stderr %q; want %q / %q", r.out, r.err, s.out, s.err)
			}
		})
	}
	r := run(t, env, admin(), "", "staff", "list", "--json")
	var got []struct{ Name, Role, Fingerprint string }
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("staff list --json: %v\n%s", err, r.out)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name+"/"+s.Role)
	}
	if fmt.Sprint(names) != "[ann/admin sam/support]" {
		t.Errorf("staff now %v", names)
	}
}

func TestOutboxList(t *testing.T) {
	env := setup(t)
	ctx := context.Background()
	mails := env.Mails(t, "ada@example.com")
	sentAt := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := env.Store.MarkMailSent(ctx, mails[0].ID, sentAt); err != nil {
		t.Fatal(err)
	}
	ivy := env.LastMail(t, "ivy@example.com", portal.MailInvitation)
	if err := env.Store.MarkMailFailed(ctx, "", ivy.ID, 2, time.Time{}, "550 \x1b[31mno such user\u009b"); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.ResendInvitation(ctx, env.Admin(), "ivy@example.com"); err != nil {
		t.Fatal(err)
	}
	retry := env.LastMail(t, "ivy@example.com", portal.MailInvitation)
	if err := env.Store.MarkMailFailed(ctx, "", retry.ID, 1, sentAt, "451 try later"); err != nil {
		t.Fatal(err)
	}

	r := run(t, env, support(), "", "outbox", "list")
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.err)
	}
	noRaw(t, "stdout", r.out)
	for _, w := range []string{"sent 2030-01-02T03:04:05Z", "attempts: 2", "550 [31mno such user", "next try 2030-01-02T03:04:05Z  451 try later"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.out)
		}
	}

	r = run(t, env, support(), "", "outbox", "list", "--json", "--state", "failed")
	noRaw(t, "stdout", r.out)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.out)
	}
	if len(got) != 1 || got[0]["to"] != "ivy@example.com" || got[0]["attempts"] != 2.0 || got[0]["state"] != "failed" ||
		got[0]["next_attempt_at"] != nil || got[0]["last_error"] != "550 [31mno such user" {
		t.Fatalf("failed mail: %v", got)
	}
	if _, ok := got[0]["body"]; ok {
		t.Error("the body (with its invitation token) is listed")
	}
	if strings.Contains(r.out, portaltest.TokenIn(t, ivy.Body)) {
		t.Error("an invitation token is listed")
	}

	r = run(t, env, support(), "", "outbox", "list", "--json", "--limit", "1")
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 {
		t.Fatalf("--limit 1: %v %q", err, r.out)
	}
}

// panicWriter stands for a broken stream deep in a command.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }

// failWriter is a client that went away.
type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	w.n++
	return 0, errors.New("broken pipe")
}

func TestPanicAndBrokenStdout(t *testing.T) {
	env := setup(t)
	var errb bytes.Buffer
	code := commands.Run(context.Background(), env.Service, admin(), []string{"url"}, nil, panicWriter{}, &errb)
	if code != 1 || errb.String() != env.Catalog.Printer("en").T("common.error.internal")+"\n" {
		t.Errorf("panic: code %d, stderr %q", code, errb.String())
	}

	errb.Reset()
	w := &failWriter{}
	code = commands.Run(context.Background(), env.Service, admin(), []string{"clients", "list"}, nil, w, &errb)
	if code != 1 || w.n > 1 {
		t.Errorf("broken stdout: code %d after %d writes", code, w.n)
	}
}

// TestConcurrentCalls shows that calls share nothing: each sees its own
// flags and streams.
func TestConcurrentCalls(t *testing.T) {
	env := setup(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errb bytes.Buffer
			search, want := "ada", "ada@example.com"
			if i%2 == 1 {
				search, want = "ivy", "ivy@example.com"
			}
			code := commands.Run(context.Background(), env.Service, support(),
				[]string{"clients", "list", "--search", search}, nil, &out, &errb)
			if code != 0 || !strings.HasPrefix(out.String(), want) || strings.Count(out.String(), "\n") != 1 {
				t.Errorf("call %d: code %d, stdout %q, stderr %q", i, code, out.String(), errb.String())
			}
		}()
	}
	wg.Wait()
}

// TestCatalogKeys checks that every cmd.* key the package uses is in the
// catalog: a missing one would show as "[cmd.key]".
func TestCatalogKeys(t *testing.T) {
	env := portaltest.New(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(cmd\.[a-z_.]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			n++
			if !env.Catalog.Has(m[1]) {
				t.Errorf("%s: %s is not in the catalog", f, m[1])
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d keys found: is the pattern still right?", n)
	}
}

func fingerprintOf(t *testing.T, line string) string {
	t.Helper()
	k, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return gossh.FingerprintSHA256(k)
}

// TestRunLineRefusesAnOpenQuote: the server splits the line ssh sent as a
// shell does; an apostrophe that opens a quote is refused, never dropped.
func TestRunLineRefusesAnOpenQuote(t *testing.T) {
	env := portaltest.New(t)
	rt := env.AddRequestType(t, "Advice", "Question: text, required")
	c := env.AddActiveClient(t, "ann@example.com", "Ann Smith")
	r, err := env.Service.SubmitRequest(context.Background(), portaltest.ClientActor(c), rt.ID, []string{"May I sublet?"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		code int
		note string
	}{
		{"requests note 1 --visible Don't worry", commands.ExitUsage, ""},
		{`requests note 1 --visible "it's fine`, commands.ExitUsage, ""},
		{`requests note 1 --visible "Don't worry, it's fine"`, commands.ExitOK, "Don't worry, it's fine"},
		{`requests note 1 --visible 'Don'\''t worry'`, commands.ExitOK, "Don't worry"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		code := commands.RunLine(context.Background(), env.Service, admin(), tt.line, strings.NewReader(""), &out, &errOut)
		if code != tt.code {
			t.Fatalf("%s: exit %d, want %d (stderr %q)", tt.line, code, tt.code, errOut.String())
		}
		if tt.code == commands.ExitUsage && !strings.Contains(errOut.String(), "A quote is not closed") {
			t.Errorf("%s: stderr %q", tt.line, errOut.String())
		}
		v, err := env.Service.RequestPage(context.Background(), admin(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := v.Events[len(v.Events)-1]
		if tt.note == "" && last.Kind == vocab.EventNote {
			t.Fatalf("%s: a note was stored: %q", tt.line, last.Body)
		}
		if tt.note != "" && last.Body != tt.note {
			t.Fatalf("%s: stored %q, want %q", tt.line, last.Body, tt.note)
		}
	}
}

// TestRunLineKeepsEmptyWords: an empty quoted word is a word, as in a
// shell, so a flag given "" takes it rather than swallowing the next one.
func TestRunLineKeepsEmptyWords(t *testing.T) {
	env := portaltest.New(t)
	var out, errOut strings.Builder
	line := `types add Contract review --field 'A: text' --description "" --field 'B: date'`
	if code := commands.RunLine(context.Background(), env.Service, admin(), line, strings.NewReader(""), &out, &errOut); code != commands.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	types, err := env.Service.RequestTypes(context.Background(), admin())
	if err != nil || len(types) != 1 {
		t.Fatalf("types %+v, %v", types, err)
	}
	fields := types[0].Fields
	if types[0].Name != "Contract review" || types[0].Description != "" || len(fields) != 2 {
		t.Fatalf("stored %q / %q with %d fields", types[0].Name, types[0].Description, len(fields))
	}
	// Bytes that are not UTF-8 reach the checks as they came, and are refused.
	errOut.Reset()
	if code := commands.RunLine(context.Background(), env.Service, admin(), "types add Bad\xffname --field 'A: text'", strings.NewReader(""), &out, &errOut); code != commands.ExitFailed {
		t.Fatalf("invalid UTF-8: exit %d: %s", code, errOut.String())
	}
}
