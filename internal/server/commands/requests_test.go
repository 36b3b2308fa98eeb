package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// submit files a request for the client with email, as that client.
func submit(t *testing.T, env *portaltest.Env, email string, typeID uint64, values ...string) *portal.Request {
	t.Helper()
	ctx := context.Background()
	c := env.ClientByEmail(t, email)
	r, err := env.Service.SubmitRequest(ctx, portaltest.ClientActor(c), typeID, values)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// withRequest is setup with the "Contract review" type (1) and one request
// by ada (1), with a two-line detail.
func withRequest(t *testing.T) *portaltest.Env {
	t.Helper()
	env := setup(t)
	addReview(t, env)
	submit(t, env, "ada@example.com", 1, "Lease for the office", "Page 3\nclause 7", "high")
	return env
}

// view is request id as staff see it.
func view(t *testing.T, env *portaltest.Env, id uint64) *portal.RequestView {
	t.Helper()
	v, err := env.Service.RequestPage(context.Background(), env.Admin(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// requestSnapshot is what a refused command must leave as it was.
func requestSnapshot(t *testing.T, env *portaltest.Env, id uint64) string {
	t.Helper()
	v := view(t, env, id)
	return fmt.Sprintf("status=%s assignee=%q events=%d", v.Status, v.Assignee, len(v.Events))
}

// TestRequestsWork works a request through status, assign and note as
// support staff, checking the line printed and what the portal then
// holds.
func TestRequestsWork(t *testing.T) {
	env := withRequest(t)
	steps := []struct {
		name  string
		args  []string
		stdin string
		out   string
		check func(v *portal.RequestView) string // "" when right
	}{
		{"status", []string{"requests", "status", "1", "in_progress"}, "", "Request #1 is now in_progress; the client will be told.\n",
			func(v *portal.RequestView) string {
				if v.Status != vocab.RequestInProgress {
					return "status " + v.Status
				}
				return ""
			}},
		{"assign", []string{"requests", "assign", "1", "ann"}, "", "Request #1 is assigned to ann.\n",
			func(v *portal.RequestView) string {
				if v.Assignee != "ann" {
					return "assignee " + v.Assignee
				}
				return ""
			}},
		{"assign again: nothing new", []string{"requests", "assign", "1", " ann "}, "", "Request #1 is assigned to ann.\n",
			func(v *portal.RequestView) string {
				if n := len(v.Events); n != 3 {
					return fmt.Sprintf("%d events", n)
				}
				return ""
			}},
		{"note, words joined", []string{"requests", "note", "--visible", "1", "Clause", "7", "looks", "fine."}, "ignored", "Note added to request #1; the client will be told.\n",
			func(v *portal.RequestView) string {
				e := v.Events[len(v.Events)-1]
				if e.Kind != vocab.EventNote || e.Body != "Clause 7 looks fine." || e.Internal || e.Author != "sam" {
					return fmt.Sprintf("event %+v", e)
				}
				return ""
			}},
		{"internal note", []string{"requests", "note", "--internal", "1", "Billable:", "2h"}, "", "Internal note added to request #1; only staff see it.\n",
			func(v *portal.RequestView) string {
				e := v.Events[len(v.Events)-1]
				if e.Body != "Billable: 2h" || !e.Internal {
					return fmt.Sprintf("event %+v", e)
				}
				return ""
			}},
		{"note after --, starting with a dash", []string{"requests", "note", "--visible", "1", "--", "-5%", "on", "fees"}, "", "Note added to request #1",
			func(v *portal.RequestView) string {
				if e := v.Events[len(v.Events)-1]; e.Body != "-5% on fees" {
					return fmt.Sprintf("event %+v", e)
				}
				return ""
			}},
		{"note from stdin, lines kept", []string{"requests", "note", "--visible", "1"}, "Dear Ada,\r\n\r\nclause 7 is fine.\n  - Sam\n", "Note added to request #1",
			func(v *portal.RequestView) string {
				if e := v.Events[len(v.Events)-1]; e.Body != "Dear Ada,\n\nclause 7 is fine.\n  - Sam" || e.Internal {
					return fmt.Sprintf("event %+v", e)
				}
				return ""
			}},
		{"internal note from stdin", []string{"requests", "note", "1", "--internal"}, "one\ntwo\n", "Internal note added",
			func(v *portal.RequestView) string {
				if e := v.Events[len(v.Events)-1]; e.Body != "one\ntwo" || !e.Internal {
					return fmt.Sprintf("event %+v", e)
				}
				return ""
			}},
		{"unassign", []string{"requests", "assign", "1", "-"}, "", "Request #1 is assigned to no one.\n",
			func(v *portal.RequestView) string {
				if v.Assignee != "" {
					return "assignee " + v.Assignee
				}
				return ""
			}},
		{"done", []string{"requests", "status", "1", "done"}, "", "Request #1 is now done",
			func(v *portal.RequestView) string {
				if v.Status != vocab.RequestDone || strings.Join(v.Next, ",") != vocab.RequestInProgress {
					return fmt.Sprintf("status %s, next %v", v.Status, v.Next)
				}
				return ""
			}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := run(t, env, support(), s.stdin, s.args...)
			if r.code != 0 || r.err != "" || !strings.Contains(r.out, s.out) || strings.Count(r.out, "\n") != 1 {
				t.Fatalf("code %d, stdout %q, stderr %q; want one line %q", r.code, r.out, r.err, s.out)
			}
			if msg := s.check(view(t, env, 1)); msg != "" {
				t.Error(msg)
			}
		})
	}
	// The client was told of the status and of the note, in one batched
	// notice, and never of the internal ones.
	notice := env.LastMail(t, "ada@example.com", portal.MailRequestUpdate)
	for _, secret := range []string{"Billable", "one\ntwo"} {
		if strings.Contains(notice.Body, secret) {
			t.Errorf("the client's notice tells %q:\n%s", secret, notice.Body)
		}
	}
}

func TestRequestsShow(t *testing.T) {
	env := withRequest(t)
	ctx := context.Background()
	for _, step := range []func() error{
		func() error { return env.Service.SetRequestStatus(ctx, admin(), 1, vocab.RequestWaiting) },
		func() error { return env.Service.AssignRequest(ctx, admin(), 1, "sam") },
		func() error { return env.Service.AddNote(ctx, admin(), 1, "Called Ada.\nShe will send page 4.", true) },
		func() error { return env.Service.AddNote(ctx, admin(), 1, "Please send page 4.", false) },
		func() error { return env.Service.AssignRequest(ctx, admin(), 1, "") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	ada := env.ClientByEmail(t, "ada@example.com")
	if err := env.Service.AddNote(ctx, portaltest.ClientActor(ada), 1, "Sent.", false); err != nil {
		t.Fatal(err)
	}
	v := view(t, env, 1)

	r := run(t, env, support(), "", "requests", "show", "1")
	if r.code != 0 || r.err != "" {
		t.Fatalf("code %d, stderr %q", r.code, r.err)
	}
	at := func(i int) string { return v.Events[i].At.UTC().Format(time.RFC3339) }
	for _, w := range []string{
		"Request      1\n",
		"Type         Contract review\n",
		"Client       Ada Active <ada@example.com>\n",
		"Status       in_progress\n",
		"Can move to  waiting, done, rejected\n",
		"Assignee     -\n",
		"Submitted    " + v.CreatedAt.UTC().Format(time.RFC3339) + "\n",
		"Updated      " + v.UpdatedAt.UTC().Format(time.RFC3339) + "\n",
		"\nFields:\n  Subject: Lease for the office\n  Details:\n      Page 3\n      clause 7\n  Urgency: High\n",
		"\nHistory, oldest first:\n",
		"  " + at(0) + "  ada@example.com  submitted the request\n",
		"  " + at(1) + "  ann              set the status to waiting\n",
		"  " + at(2) + "  ann              assigned it to sam\n",
		"  " + at(3) + "  ann              note [internal]:\n      Called Ada.\n      She will send page 4.\n",
		"  " + at(4) + "  ann              note: Please send page 4.\n",
		"  " + at(5) + "  ann              assigned it to no one\n",
		"  " + at(6) + "  ada@example.com  note: Sent.\n",
		"  " + at(7) + "  ada@example.com  answered: back to in_progress\n",
	} {
		if !strings.Contains(r.out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.out)
		}
	}
	// Oldest first.
	if strings.Index(r.out, "submitted the request") > strings.Index(r.out, "note: Sent.") {
		t.Errorf("history not oldest first:\n%s", r.out)
	}

	r = run(t, env, support(), "", "requests", "show", "1", "--json")
	var d struct {
		ID          uint64
		Status      string
		TypeID      uint64 `json:"type_id"`
		Type        string
		ClientEmail string `json:"client_email"`
		ClientName  string `json:"client_name"`
		Assignee    string
		Summary     string
		CreatedAt   string `json:"created_at"`
		Next        []string
		Fields      []struct{ Label, Kind, Value string }
		Events      []struct {
			ID         uint64
			At         string
			Kind       string
			AuthorKind string `json:"author_kind"`
			Author     string
			Status     string
			Body       string
			Internal   bool
		}
	}
	if err := json.Unmarshal([]byte(r.out), &d); err != nil || r.code != 0 {
		t.Fatalf("code %d, %v:\n%s", r.code, err, r.out)
	}
	// The client's answer brought it back from waiting (the last event).
	if d.ID != 1 || d.Status != "in_progress" || d.TypeID != 1 || d.Type != "Contract review" || d.ClientEmail != "ada@example.com" ||
		d.ClientName != "Ada Active" || d.Assignee != "" || d.Summary != "Lease for the office" || len(d.Next) != 3 {
		t.Errorf("head: %+v", d)
	}
	if _, err := time.Parse(time.RFC3339, d.CreatedAt); err != nil {
		t.Errorf("created_at: %v", err)
	}
	if len(d.Fields) != 3 || d.Fields[1].Label != "Details" || d.Fields[1].Kind != "multiline" || d.Fields[1].Value != "Page 3\nclause 7" {
		t.Errorf("fields: %+v", d.Fields)
	}
	if len(d.Events) != 8 || d.Events[3].Kind != "note" || !d.Events[3].Internal || d.Events[3].Body != "Called Ada.\nShe will send page 4." ||
		d.Events[1].Status != "waiting" || d.Events[2].Body != "sam" || d.Events[6].AuthorKind != "client" ||
		d.Events[7].Kind != "status" || d.Events[7].Status != "in_progress" || d.Events[7].AuthorKind != "client" {
		t.Errorf("events: %+v", d.Events)
	}

	// A request with nothing in its optional field shows "-".
	submit(t, env, "ada@example.com", 1, "Second", "", "low")
	r = run(t, env, admin(), "", "requests", "show", "2")
	if !strings.Contains(r.out, "  Details: -\n") {
		t.Errorf("empty field:\n%s", r.out)
	}
}

// listIDs runs requests list --json with args and returns the IDs listed.
func listIDs(t *testing.T, env *portaltest.Env, args ...string) []uint64 {
	t.Helper()
	r := run(t, env, support(), "", append([]string{"requests", "list", "--json"}, args...)...)
	if r.code != 0 || r.err != "" {
		t.Fatalf("%v: code %d, stderr %q", args, r.code, r.err)
	}
	var got []struct{ ID uint64 }
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v: not JSON: %v\n%s", args, err, r.out)
	}
	ids := []uint64{}
	for _, q := range got {
		ids = append(ids, q.ID)
	}
	return ids
}

func TestRequestsList(t *testing.T) {
	env := withRequest(t) // request 1: ada, type 1
	env.AddActiveClient(t, "bob@example.com", "Bob")
	env.AddRequestType(t, "Appointment", "Why: text, required", "When: date")
	submit(t, env, "bob@example.com", 2, "Meet about the lease", "2030-01-02") // 2
	submit(t, env, "ada@example.com", 2, "Sign the lease", "")                 // 3
	ctx := context.Background()
	if err := env.Service.SetRequestStatus(ctx, admin(), 2, vocab.RequestInProgress); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.AssignRequest(ctx, admin(), 3, "sam"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want []uint64
	}{
		{"all, newest first", nil, []uint64{3, 2, 1}},
		{"status in_progress", []string{"--status", "in_progress"}, []uint64{2}},
		{"status new", []string{"--status", "new"}, []uint64{3, 1}},
		{"status done", []string{"--status", "done"}, []uint64{}},
		{"type", []string{"--type", "2"}, []uint64{3, 2}},
		{"type unknown", []string{"--type", "99"}, []uint64{}},
		{"client, any case", []string{"--client", " ADA@example.com "}, []uint64{3, 1}},
		{"assignee", []string{"--assignee", "sam"}, []uint64{3}},
		{"unassigned", []string{"--assignee", "-"}, []uint64{2, 1}},
		{"assignee nobody has", []string{"--assignee", "zed"}, []uint64{}},
		{"hostile assignee finds nothing", []string{"--assignee", esc2J + osc52 + huge}, []uint64{}},
		{"limit", []string{"--limit", "2"}, []uint64{3, 2}},
		{"filters together", []string{"--client", "ada@example.com", "--type", "2", "--status", "new", "--assignee", "sam"}, []uint64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listIDs(t, env, tt.args...); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// The JSON objects.
	r := run(t, env, admin(), "", "requests", "list", "--json", "--limit", "1")
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 {
		t.Fatalf("%v %q", err, r.out)
	}
	want := map[string]any{"id": 3.0, "status": "new", "type_id": 2.0, "type": "Appointment", "client_email": "ada@example.com",
		"client_name": "Ada Active", "assignee": "sam", "summary": "Sign the lease"}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("%s = %v, want %v", k, got[0][k], v)
		}
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(got[0][k])); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}

	// The plain lines: ID, status, type, client, assignee, updated, summary.
	r = run(t, env, support(), "", "requests", "list")
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if r.code != 0 || len(lines) != 3 {
		t.Fatalf("code %d, stdout:\n%s", r.code, r.out)
	}
	updated := view(t, env, 2).UpdatedAt.UTC().Format(time.RFC3339)
	for i, w := range [][]string{
		{"3", "new", "Appointment", "ada@example.com", "sam", "Sign the lease"},
		{"2", "in_progress", "Appointment", "bob@example.com", "-", updated, "Meet about the lease"},
		{"1", "new", "Contract review", "ada@example.com", "-", "Lease for the office"},
	} {
		if !strings.HasPrefix(lines[i], w[0]+"  ") {
			t.Errorf("line %d %q does not start with the ID %s", i, lines[i], w[0])
		}
		for _, cell := range w {
			if !strings.Contains(lines[i], cell) {
				t.Errorf("line %d %q lacks %q", i, lines[i], cell)
			}
		}
	}
	if r := run(t, env, admin(), "", "requests", "list", "--status", "done"); r.code != 0 || r.out != "" {
		t.Errorf("empty listing: code %d, %q", r.code, r.out)
	}
}

func TestRequestsListWalksPages(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	c := env.AddActiveClient(t, "ada@example.com", "Ada")
	rt := addReview(t, env)
	const n = 1100
	now := time.Now()
	err := env.Store.Tx(ctx, func(tx *store.Store) error {
		for i := 0; i < n; i++ {
			if err := tx.CreateRequest(ctx, &store.Request{
				ClientID: c.ID, TypeID: rt.ID, TypeName: rt.Name, Summary: fmt.Sprintf("request %d", i+1), Fields: "[]",
				Status: vocab.RequestNew, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now,
			}); err != nil {
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
	}{
		{"plain, all", nil, n},
		{"json, all", []string{"--json"}, n},
		{"limit over a page", []string{"--json", "--limit", "700"}, 700},
		{"limit of exactly a page", []string{"--limit", "500"}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), "", append([]string{"requests", "list"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("code %d: %s", r.code, r.err)
			}
			var ids []string
			if strings.HasPrefix(r.out, "[") {
				var got []struct{ ID uint64 }
				if err := json.Unmarshal([]byte(r.out), &got); err != nil {
					t.Fatal(err)
				}
				for _, q := range got {
					ids = append(ids, fmt.Sprint(q.ID))
				}
			} else {
				for _, l := range strings.Split(strings.TrimSuffix(r.out, "\n"), "\n") {
					ids = append(ids, strings.Fields(l)[0])
				}
			}
			if len(ids) != tt.count || ids[0] != fmt.Sprint(n) || ids[len(ids)-1] != fmt.Sprint(n-tt.count+1) {
				t.Fatalf("%d requests from %s to %s, want %d from %d", len(ids), ids[0], ids[len(ids)-1], tt.count, n)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("%s listed twice", id)
				}
				seen[id] = true
			}
		})
	}
}

// TestRequestsListRefusals: every flag of requests list with bad values.
func TestRequestsListRefusals(t *testing.T) {
	env := withRequest(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown status", []string{"--status", "closed"}, 1, "--status: Unknown status; use one of: new, in_progress, waiting, done, rejected."},
		{"escape in status", []string{"--status", "new" + esc2J}, 1, "--status: Unknown status"},
		{"OSC 52 status", []string{"--status", osc52}, 1, "--status: Unknown status"},
		{"100 kB status", []string{"--status", huge}, 1, "--status: Unknown status"},
		{"empty status", []string{"--status", ""}, 2, "The flag --status needs a value."},
		{"type not a number", []string{"--type", "contract"}, 2, `--type "contract" is not a request type number; take the ID from "types list".`},
		{"type zero", []string{"--type", "0"}, 2, `--type "0" is not a request type number`},
		{"type negative", []string{"--type", "-1"}, 2, `--type "-1" is not a request type number`},
		{"type huge", []string{"--type", "99999999999999999999"}, 2, `--type "99999999999999999999" is not a request type number`},
		{"type escape", []string{"--type", "1" + esc2J}, 2, `--type "1[2J" is not`},
		{"type invalid UTF-8", []string{"--type", badUTF8}, 2, "--type \"\ufffd\ufffd\" is not"},
		{"type 100 kB", []string{"--type", huge}, 2, `--type "aaaa`},
		{"type empty", []string{"--type", ""}, 2, "The flag --type needs a value."},
		{"client unknown", []string{"--client", "nobody@example.com"}, 1, "--client: No client with the email nobody@example.com."},
		{"client escape", []string{"--client", "ada@example.com" + esc2J}, 1, "--client: No client with the email ada@example.com[2J."},
		{"client OSC 52", []string{"--client", osc52}, 1, "--client: No client with the email ]52;c;cm0gLXJmIH4K."},
		{"client invalid UTF-8", []string{"--client", "ada" + badUTF8 + "@example.com"}, 1, "--client: No client with the email ada\ufffd\ufffd@example.com."},
		{"client 100 kB", []string{"--client", huge}, 1, "--client: No client with the email aaaa"},
		{"client empty", []string{"--client", ""}, 2, "The flag --client needs a value."},
		{"client blank", []string{"--client", "  "}, 2, "The flag --client needs a value."},
		{"assignee empty", []string{"--assignee", ""}, 2, "The flag --assignee needs a value."},
		{"limit zero", []string{"--limit", "0"}, 2, "--limit takes a number of 1 or more."},
		{"limit not a number", []string{"--limit", "all" + esc2J}, 2, `The flag --limit does not take "all[2J"`},
		{"extra argument", []string{"new"}, 2, `Unexpected argument "new"`},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{false, true} {
			args := append([]string{"requests", "list"}, tt.args...)
			if asJSON {
				args = append(args, "--json")
			}
			t.Run(fmt.Sprintf("%s/json=%v", tt.name, asJSON), func(t *testing.T) {
				r := run(t, env, support(), "", args...)
				if r.code != tt.code || r.out != "" {
					t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.out, r.err)
				}
				oneLine(t, r.err)
				noRaw(t, "stderr", r.err)
				if !strings.Contains(r.err, tt.want) {
					t.Errorf("stderr %q lacks %q", r.err, tt.want)
				}
				if len(r.err) > 600 {
					t.Errorf("stderr is %d bytes", len(r.err))
				}
			})
		}
	}
}

// TestRequestsRefusals tries every argument of show, status, note and
// assign with bad values: one clear line, the right exit status, nothing
// raw, and the request as it was.
func TestRequestsRefusals(t *testing.T) {
	env := withRequest(t)
	before := requestSnapshot(t, env, 1)
	tooBig := strings.Repeat("note line\n", maxNoteKiB*1024/10+1)
	type tc struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string
	}
	tests := []tc{
		// status
		{"status: missing", []string{"requests", "status", "1"}, "", 2, "Missing STATUS; usage: portal-admin requests status ID STATUS"},
		{"status: unknown", []string{"requests", "status", "1", "closed"}, "", 1, "Unknown status; use one of: new, in_progress, waiting, done, rejected."},
		{"status: empty", []string{"requests", "status", "1", ""}, "", 1, "Unknown status; use one of"},
		{"status: escape", []string{"requests", "status", "1", "done" + esc2J}, "", 1, "Unknown status; use one of"},
		{"status: OSC 52", []string{"requests", "status", "1", osc52}, "", 1, "Unknown status; use one of"},
		{"status: invalid UTF-8", []string{"requests", "status", "1", badUTF8}, "", 1, "Unknown status; use one of"},
		{"status: 100 kB", []string{"requests", "status", "1", huge}, "", 1, "Unknown status; use one of"},
		{"status: not a move", []string{"requests", "status", "1", "new"}, "", 1, "Request #1 is new; it cannot go to new. It can go to: in_progress, waiting, done, rejected."},
		{"status: unknown request", []string{"requests", "status", "2", "done"}, "", 1, "No request #2."},
		{"status: extra", []string{"requests", "status", "1", "done", "now"}, "", 2, `Unexpected argument "now"`},
		// note
		{"note: empty", []string{"requests", "note", "--visible", "1", ""}, "", 1, "The note: Required."},
		{"note: blank", []string{"requests", "note", "--visible", "1", " ", " "}, "", 1, "The note: Required."},
		{"note: escape", []string{"requests", "note", "--visible", "1", "hello" + esc2J}, "", 1, "The note: Contains control characters"},
		{"note: OSC 52", []string{"requests", "note", "--visible", "1", "copy", osc52}, "", 1, "The note: Contains control characters"},
		{"note: C1 CSI", []string{"requests", "note", "--visible", "1", "a\u009b31m"}, "", 1, "The note: Contains control characters"},
		{"note: bidi override", []string{"requests", "note", "--visible", "1", "abc\u202edef"}, "", 1, "The note: Contains control characters"},
		{"note: invalid UTF-8", []string{"requests", "note", "--visible", "1", "a" + badUTF8}, "", 1, "The note: Contains control characters"},
		{"note: 100 kB", []string{"requests", "note", "--visible", "1", huge}, "", 1, "The note: Too long: at most 5000 characters."},
		{"note: internal and 100 kB", []string{"requests", "note", "--internal", "1", huge}, "", 1, "The note: Too long"},
		{"note: unknown flag in the text", []string{"requests", "note", "--visible", "1", "fees", "-5%"}, "", 2, `Unknown flag -5; run "help requests note" for the flags.`},
		{"note: unknown request", []string{"requests", "note", "--visible", "2", "hello"}, "", 1, "No request #2."},
		{"note: neither --visible nor --internal", []string{"requests", "note", "1", "hello"}, "", 2, "Say who reads the note"},
		{"note: both --visible and --internal", []string{"requests", "note", "--visible", "--internal", "1", "hello"}, "", 2, "Say who reads the note"},
		{"note: no ID", []string{"requests", "note"}, "", 2, "Missing ID; usage: portal-admin requests note ID --internal|--visible [TEXT...]"},
		{"note: stdin empty", []string{"requests", "note", "--visible", "1"}, "", 1, "The note: Required."},
		{"note: stdin blank lines", []string{"requests", "note", "--visible", "1"}, "\n \n\n", 1, "The note: Required."},
		{"note: stdin escape", []string{"requests", "note", "--visible", "1"}, "line one\nline " + esc2J + "two\n", 1, "The note: Contains control characters"},
		{"note: stdin OSC 52", []string{"requests", "note", "1", "--internal"}, osc52, 1, "The note: Contains control characters"},
		{"note: stdin invalid UTF-8", []string{"requests", "note", "--visible", "1"}, "caf" + badUTF8 + "\n", 1, "The note: Contains control characters"},
		{"note: stdin NUL", []string{"requests", "note", "--visible", "1"}, "a\x00b", 1, "The note: Contains control characters"},
		{"note: stdin lone CR", []string{"requests", "note", "--visible", "1"}, "ok\rEVIL", 1, "The note: Contains control characters"},
		{"note: stdin 64 KiB, over the portal's limit", []string{"requests", "note", "--visible", "1"}, strings.Repeat("a", maxNoteKiB*1024), 1, "The note: Too long: at most 5000 characters."},
		{"note: stdin over 64 KiB", []string{"requests", "note", "--visible", "1"}, tooBig, 1, "The note on standard input is over 64 KiB; send a shorter one."},
		{"note: stdin 1 MB", []string{"requests", "note", "1", "--internal"}, strings.Repeat("x", 1<<20), 1, "over 64 KiB"},
		// assign
		{"assign: missing", []string{"requests", "assign", "1"}, "", 2, "Missing NAME; usage: portal-admin requests assign ID NAME|-"},
		{"assign: empty", []string{"requests", "assign", "1", ""}, "", 2, "Give a staff member's name, or - to assign the request to no one"},
		{"assign: blank", []string{"requests", "assign", "1", "  "}, "", 2, "Give a staff member's name, or - to"},
		{"assign: unknown", []string{"requests", "assign", "1", "zed"}, "", 1, "No staff member named zed."},
		{"assign: escape", []string{"requests", "assign", "1", "sam" + esc2J}, "", 1, "No staff member named sam[2J."},
		{"assign: OSC 52", []string{"requests", "assign", "1", osc52}, "", 1, "No staff member named ]52;c;cm0gLXJmIH4K."},
		{"assign: invalid UTF-8", []string{"requests", "assign", "1", "s" + badUTF8}, "", 1, "No staff member named s\ufffd\ufffd."},
		{"assign: 100 kB", []string{"requests", "assign", "1", huge}, "", 1, "No staff member named aaaa"},
		{"assign: a flag-like name", []string{"requests", "assign", "1", "-x"}, "", 2, "Unknown flag -x"},
		{"assign: unknown request", []string{"requests", "assign", "2", "sam"}, "", 1, "No request #2."},
		// show
		{"show: unknown request", []string{"requests", "show", "2"}, "", 1, "No request #2."},
		{"show: the largest ID", []string{"requests", "show", "9223372036854775807"}, "", 1, "No request #9223372036854775807."},
		{"show: no ID", []string{"requests", "show"}, "", 2, "Missing ID; usage: portal-admin requests show ID [--json]"},
		{"group alone", []string{"requests"}, "", 2, `"requests" needs one of: assign, list, note, show, status.`},
	}
	// Every command that takes an ID, with every kind of bad ID.
	for _, cmd := range []struct {
		name string
		args func(id string) []string
	}{
		{"show", func(id string) []string { return []string{"requests", "show", id} }},
		{"show --json", func(id string) []string { return []string{"requests", "show", "--json", id} }},
		{"status", func(id string) []string { return []string{"requests", "status", id, "done"} }},
		{"note", func(id string) []string { return []string{"requests", "note", "--visible", id, "hello"} }},
		{"note --internal", func(id string) []string { return []string{"requests", "note", "--internal", id, "hello"} }},
		{"note from stdin", func(id string) []string { return []string{"requests", "note", "--visible", id} }},
		{"assign", func(id string) []string { return []string{"requests", "assign", id, "sam"} }},
	} {
		for _, bad := range []struct{ id, shown string }{
			{"abc", "abc"}, {"0", "0"}, {"-1", "-1"}, {"-42", "-42"}, {"9223372036854775808", "9223372036854775808"},
			{"99999999999999999999999", "99999999999999999999999"}, {"1.5", "1.5"}, {"+1", "+1"}, {"1 ", "1 "},
			{"", ""}, {"#1", "#1"}, {"1" + esc2J, "1[2J"}, {osc52, "]52;c;cm0gLXJmIH4K"}, {"1" + badUTF8, "1\ufffd\ufffd"},
			{huge, strings.Repeat("a", 60) + "…"},
		} {
			tests = append(tests, tc{"bad ID " + cmd.name + " " + bad.shown[:min(len(bad.shown), 20)], cmd.args(bad.id), "note", 2,
				`ID "` + bad.shown + `" is not a request number; take the ID from "requests list".`})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.out, r.err)
			}
			if r.out != "" {
				t.Errorf("stdout %q on failure", r.out)
			}
			oneLine(t, r.err)
			noRaw(t, "stderr", r.err)
			if !strings.Contains(r.err, tt.want) {
				t.Errorf("stderr %q lacks %q", r.err, tt.want)
			}
			if len(r.err) > 600 {
				t.Errorf("stderr is %d bytes: a value was echoed whole", len(r.err))
			}
			if got := requestSnapshot(t, env, 1); got != before {
				t.Errorf("request 1 changed: %s, was %s", got, before)
			}
		})
	}
}

// maxNoteKiB is what `requests note` reads from standard input at most.
const maxNoteKiB = 64

// TestStoredRequestEscapesNeverRaw: data that reached the store without
// the portal's checks (an old version, a bug) is still shown cleaned, in
// text and JSON.
func TestStoredRequestEscapesNeverRaw(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	now := time.Now()
	evil := "E\x1b]0;owned\x07\x1b[2J\u009b31m\u202ev\r\n" + osc52 + env.InvalidUTF8()
	// For the columns of 16 characters, which PostgreSQL holds to that.
	evilShort := "\x1b]0;x\x07\u202e" + env.InvalidUTF8()
	c := &store.Client{Email: "evil@example.com", Name: "Name" + evil, Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := env.Store.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	fields, _ := json.Marshal([]portal.RequestField{{Label: "Label" + evil, Kind: "text"}, {Label: "Pick", Kind: "choice", Choices: []string{"A" + evil, "B"}}})
	rt := &store.RequestType{Name: "Type" + evil, Description: "Desc" + evil, Fields: string(fields), CreatedAt: now, UpdatedAt: now}
	if err := env.Store.CreateRequestType(ctx, rt); err != nil {
		t.Fatal(err)
	}
	values, _ := json.Marshal([]portal.FieldValue{{Label: "Label" + evil, Kind: "multiline" + evil, Value: "line one\n" + evil + "\nline three"}})
	q := &store.Request{ClientID: c.ID, TypeID: rt.ID, TypeName: "Type" + evil, Summary: "Summary" + evil, Fields: string(values),
		Status: vocab.RequestNew + evilShort, Assignee: "Assignee" + evil, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now}
	if err := env.Store.CreateRequest(ctx, q); err != nil {
		t.Fatal(err)
	}
	for _, e := range []store.RequestEvent{
		{Kind: vocab.EventSubmitted, AuthorKind: vocab.ActorClient, Author: "Author" + evil, Status: "new" + evilShort},
		{Kind: vocab.EventStatus, AuthorKind: vocab.ActorStaff, Author: "ann", Status: "done" + evilShort},
		{Kind: vocab.EventAssign, AuthorKind: vocab.ActorStaff, Author: "ann", Body: "Body" + evil, Internal: true},
		{Kind: vocab.EventNote, AuthorKind: vocab.ActorStaff, Author: "ann", Body: "Note\n" + evil, Internal: true},
		{Kind: "kind" + evilShort, AuthorKind: vocab.ActorStaff, Author: "ann"},
	} {
		e.RequestID, e.At = q.ID, now
		if err := env.Store.AddRequestEvent(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"requests", "list"},
		{"requests", "list", "--json"},
		{"requests", "show", "1"},
		{"requests", "show", "1", "--json"},
		{"types", "list"},
		{"types", "list", "--json"},
		{"types", "show", "1"},
		{"types", "show", "1", "--json"},
		{"types", "disable", "1"},
		{"types", "enable", "1"},
		{"requests", "status", "1", "done"},
		{"requests", "assign", "1", "Assignee" + evil},
	} {
		t.Run(strings.Join(args[:2], " ")+" "+args[len(args)-1][:min(6, len(args[len(args)-1]))], func(t *testing.T) {
			r := run(t, env, admin(), "", args...)
			noRaw(t, "stdout", r.out)
			noRaw(t, "stderr", r.err)
			if strings.Contains(r.out+r.err, "\xff") {
				t.Errorf("invalid UTF-8 out:\nstdout %q\nstderr %q", r.out, r.err)
			}
			if args[len(args)-1] == "--json" {
				var v any
				if err := json.Unmarshal([]byte(r.out), &v); err != nil {
					t.Fatalf("JSON: %v %q", err, r.out)
				}
			}
			if args[1] == "show" && args[2] == "1" && len(args) == 3 && !strings.Contains(r.out, "E]0;owned[2J31mv") {
				t.Errorf("the value is not shown cleaned:\n%s", r.out)
			}
		})
	}
}
