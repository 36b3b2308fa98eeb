package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
)

// Hostile values every argument and flag is tried with.
const (
	esc2J   = "\x1b[2J"                    // clear the screen
	osc52   = "\x1b]52;c;cm0gLXJmIH4K\x07" // write the clipboard
	badUTF8 = "\xff\xfe"
)

var huge = strings.Repeat("a", 100_000)

// reviewSpecs are the fields of the request type most tests use.
var reviewSpecs = []string{"Subject: text, required", "Details: multiline", "Urgency: choice(Low | Normal | High), required"}

// addReview adds the "Contract review" request type: type 1 on a fresh
// portal.
func addReview(t *testing.T, env *portaltest.Env) *portal.RequestType {
	t.Helper()
	return env.AddRequestType(t, "Contract review", reviewSpecs...)
}

// typeSnapshot is a request type as stored, fields as specs: what a
// refused command must leave as it was. "" when there is no such type.
func typeSnapshot(t *testing.T, env *portaltest.Env, id uint64) string {
	t.Helper()
	rt, err := env.Service.RequestType(context.Background(), env.Admin(), id)
	if portal.AsError(err) != nil {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	fields := rt.Fields
	var specs []string
	for _, f := range fields {
		specs = append(specs, portal.FormatFieldSpec(f))
	}
	return fmt.Sprintf("%s|%s|disabled=%v|%s", rt.Name, rt.Description, rt.Disabled, strings.Join(specs, "; "))
}

func typeCount(t *testing.T, env *portaltest.Env) int {
	t.Helper()
	all, err := env.Service.RequestTypes(context.Background(), env.Admin())
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// TestTypes walks a request type through every types command as an admin:
// the line printed, and the type as the portal then holds it.
func TestTypes(t *testing.T) {
	env := setup(t)
	steps := []struct {
		name  string
		args  []string
		out   []string // in stdout
		id    uint64   // the type to check afterwards
		state string   // its snapshot then
	}{
		{"add", append([]string{"types", "add", "Contract", "review", "--description", "Have us read a contract"},
			"--field", reviewSpecs[0], "--field", reviewSpecs[1], "--field", reviewSpecs[2]),
			[]string{"Added request type #1, Contract review, with 3 fields.\n"},
			1, "Contract review|Have us read a contract|disabled=false|" + strings.Join(reviewSpecs, "; ")},
		{"add without description", []string{"types", "add", "Document request", "--field", "Which: text, required"},
			[]string{"Added request type #2, Document request, with 1 field.\n"},
			2, "Document request||disabled=false|Which: text, required"},
		{"list", []string{"types", "list"},
			[]string{"1  Contract review   enabled  3 fields\n2  Document request  enabled  1 field\n"}, 0, ""},
		{"show", []string{"types", "show", "1"},
			[]string{"ID           1\n", "Name         Contract review\n", "Description  Have us read a contract\n", "State        enabled\n",
				"Fields, in order:\n  Subject: text, required\n  Details: multiline\n  Urgency: choice(Low | Normal | High), required\n"}, 0, ""},
		{"show, no description", []string{"types", "show", "2"}, []string{"Description  -\n"}, 0, ""},
		{"edit the description only", []string{"types", "edit", "1", "--description", "We read it for you"},
			[]string{"Changed request type #1, Contract review: 3 fields."},
			1, "Contract review|We read it for you|disabled=false|" + strings.Join(reviewSpecs, "; ")},
		{"edit the name only", []string{"types", "edit", "1", "--name", "Contract check"},
			[]string{"Changed request type #1, Contract check: 3 fields."},
			1, "Contract check|We read it for you|disabled=false|" + strings.Join(reviewSpecs, "; ")},
		{"edit the fields: all replaced", []string{"types", "edit", "1", "--field", "Deadline: date, required", "--field", "Notes: multiline"},
			[]string{"Changed request type #1, Contract check: 2 fields."},
			1, "Contract check|We read it for you|disabled=false|Deadline: date, required; Notes: multiline"},
		{"edit everything", []string{"types", "edit", "1", "--name", "Review", "--description", "", "--field", "What: text"},
			[]string{"Changed request type #1, Review: 1 field."}, 1, "Review||disabled=false|What: text"},
		{"disable", []string{"types", "disable", "2"}, []string{"Disabled request type #2; clients can no longer choose it."},
			2, "Document request||disabled=true|Which: text, required"},
		{"list shows it disabled", []string{"types", "list"}, []string{"2  Document request  disabled  1 field\n"}, 0, ""},
		{"enable", []string{"types", "enable", "2"}, []string{"Enabled request type #2; clients can choose it again."},
			2, "Document request||disabled=false|Which: text, required"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := run(t, env, admin(), "", s.args...)
			if r.code != 0 || r.err != "" {
				t.Fatalf("code %d, stderr %q", r.code, r.err)
			}
			for _, w := range s.out {
				if !strings.Contains(r.out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.out)
				}
			}
			if s.id != 0 {
				if got := typeSnapshot(t, env, s.id); got != s.state {
					t.Errorf("type %d is\n  %s\nwant\n  %s", s.id, got, s.state)
				}
			}
		})
	}
	// A name another type has is refused, naming the flag.
	r := run(t, env, admin(), "", "types", "edit", "1", "--name", "DOCUMENT request")
	if r.code != 1 || r.out != "" || r.err != "--name: A request type named \"DOCUMENT request\" already exists.\n" {
		t.Errorf("duplicate name: code %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}

	// Every write is in the audit log under the admin's name.
	r = run(t, env, admin(), "", "audit", "list", "--json", "--actor", "ann")
	var events []struct{ Action string }
	if err := json.Unmarshal([]byte(r.out), &events); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.Action]++
	}
	if count["request_type.add"] != 2 || count["request_type.edit"] != 4 || count["request_type.disable"] != 1 || count["request_type.enable"] != 1 {
		t.Errorf("audit: %v", count)
	}
}

func TestTypesJSON(t *testing.T) {
	env := setup(t)
	addReview(t, env)
	env.AddRequestType(t, "Appointment", "When: date, required")
	if err := env.Service.SetRequestTypeDisabled(context.Background(), env.Admin(), 2, true); err != nil {
		t.Fatal(err)
	}
	type typeJSON struct {
		ID          uint64
		Name        string
		Description string
		State       string
		Fields      []string
		CreatedAt   string `json:"created_at"`
		UpdatedAt   string `json:"updated_at"`
	}
	// Support staff may list and show.
	r := run(t, env, support(), "", "types", "list", "--json")
	var list []typeJSON
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || r.code != 0 {
		t.Fatalf("code %d, %v:\n%s", r.code, err, r.out)
	}
	if len(list) != 2 || list[0].Name != "Appointment" || list[0].State != "disabled" || list[1].ID != 1 ||
		list[1].State != "enabled" || list[1].Description != "About Contract review" ||
		strings.Join(list[1].Fields, "; ") != strings.Join(reviewSpecs, "; ") || list[1].CreatedAt == "" {
		t.Errorf("list: %+v", list)
	}

	r = run(t, env, support(), "", "types", "show", "1", "--json")
	var one typeJSON
	if err := json.Unmarshal([]byte(r.out), &one); err != nil || r.code != 0 {
		t.Fatalf("code %d, %v:\n%s", r.code, err, r.out)
	}
	if one.ID != 1 || one.Name != "Contract review" || len(one.Fields) != 3 || one.Fields[2] != reviewSpecs[2] {
		t.Errorf("show: %+v", one)
	}
	// The specs read back as they were written: a script can copy a type.
	for i, spec := range one.Fields {
		f, err := portal.ParseFieldSpec(spec)
		if err != nil || portal.FormatFieldSpec(f) != reviewSpecs[i] {
			t.Errorf("field %d %q reads back as %+v, %v", i, spec, f, err)
		}
	}

	// No types: an empty array, and nothing at all in plain text.
	empty := portaltest.New(t)
	if r := run(t, empty, admin(), "", "types", "list", "--json"); r.code != 0 || r.out != "[]\n" {
		t.Errorf("empty list --json: code %d, %q", r.code, r.out)
	}
	if r := run(t, empty, admin(), "", "types", "list"); r.code != 0 || r.out != "" {
		t.Errorf("empty list: code %d, %q", r.code, r.out)
	}
}

// TestTypesRefusals tries every argument and flag of the types commands
// with what a person or a script might wrongly send: one clear line on
// stderr, the right exit status, nothing raw, nothing stored.
func TestTypesRefusals(t *testing.T) {
	env := setup(t)
	addReview(t, env)
	before := typeSnapshot(t, env, 1)
	field := func(args ...string) []string { return append(args, "--field", "Subject: text") }
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		// types add
		{"add: no name", []string{"types", "add", "--field", "A: text"}, 2, "Missing NAME; usage: portal-admin types add NAME..."},
		{"add: no field", []string{"types", "add", "Other"}, 2, "Missing --field"},
		{"add: empty name", field("types", "add", ""), 1, "NAME: Required."},
		{"add: blank name", field("types", "add", " ", " "), 1, "NAME: Required."},
		{"add: escape in name", field("types", "add", "Evil"+esc2J), 1, "NAME: Contains control characters"},
		{"add: OSC 52 in name", field("types", "add", "Evil", osc52), 1, "NAME: Contains control characters"},
		{"add: C1 CSI in name", field("types", "add", "Evil\u009b31m"), 1, "NAME: Contains control characters"},
		{"add: invalid UTF-8 name", field("types", "add", "Evil"+badUTF8), 1, "NAME: Contains control characters"},
		{"add: 100 kB name", field("types", "add", huge), 1, "NAME: Too long: at most 100 characters."},
		{"add: the name taken", field("types", "add", "CONTRACT", "Review"), 1, `NAME: A request type named "CONTRACT Review" already exists.`},
		{"add: empty description is fine, bad one is not", field("types", "add", "Other", "--description", esc2J), 1, "--description: Contains control characters"},
		{"add: OSC 52 description", field("types", "add", "Other", "--description", osc52), 1, "--description: Contains control characters"},
		{"add: 100 kB description", field("types", "add", "Other", "--description", huge), 1, "--description: Too long: at most 1000 characters."},
		{"add: empty field", []string{"types", "add", "Other", "--field", ""}, 1, `--field: Cannot read the field ""`},
		{"add: field without kind", []string{"types", "add", "Other", "--field", "Subject"}, 1, `--field: Cannot read the field "Subject"`},
		{"add: unknown kind", []string{"types", "add", "Other", "--field", "Subject: number"}, 1, `--field: The field "Subject" has an unknown kind; use one of: text, multiline, date, choice.`},
		{"add: escape in a label", []string{"types", "add", "Other", "--field", "Sub" + esc2J + "ject: text"}, 1, "--field: Contains control characters"},
		{"add: OSC 52 in a choice", []string{"types", "add", "Other", "--field", "Pick: choice(A | B" + osc52 + ")"}, 1, "--field: Contains control characters"},
		{"add: invalid UTF-8 label", []string{"types", "add", "Other", "--field", badUTF8 + ": text"}, 1, "--field: Contains control characters"},
		{"add: 100 kB field", []string{"types", "add", "Other", "--field", huge}, 1, `--field: Cannot read the field "aaaa`},
		{"add: 100 kB label", []string{"types", "add", "Other", "--field", huge + ": text"}, 1, "--field: Too long: at most 100 characters."},
		{"add: one choice", []string{"types", "add", "Other", "--field", "Pick: choice(Only)"}, 1, `--field: The choice field "Pick" needs 2 to 50 choices`},
		{"add: the same label twice", []string{"types", "add", "Other", "--field", "A: text", "--field", "a: date"}, 1, `--field: Two fields are named "a"`},
		{"add: a second bad field", []string{"types", "add", "Other", "--field", "A: text", "--field", "B"}, 1, `--field: Cannot read the field "B"`},
		// types edit
		{"edit: nothing to change", []string{"types", "edit", "1"}, 2, "Nothing to change: give --name, --description or --field"},
		{"edit: empty name", []string{"types", "edit", "1", "--name", ""}, 1, "--name: Required."},
		{"edit: escape in name", []string{"types", "edit", "1", "--name", esc2J}, 1, "--name: Contains control characters"},
		{"edit: OSC 52 in name", []string{"types", "edit", "1", "--name", "x" + osc52}, 1, "--name: Contains control characters"},
		{"edit: invalid UTF-8 name", []string{"types", "edit", "1", "--name", badUTF8}, 1, "--name: Contains control characters"},
		{"edit: 100 kB name", []string{"types", "edit", "1", "--name", huge}, 1, "--name: Too long: at most 100 characters."},
		{"edit: escape in description", []string{"types", "edit", "1", "--description", "a" + esc2J}, 1, "--description: Contains control characters"},
		{"edit: 100 kB description", []string{"types", "edit", "1", "--description", huge}, 1, "--description: Too long"},
		{"edit: empty field", []string{"types", "edit", "1", "--field", ""}, 1, `--field: Cannot read the field ""`},
		{"edit: OSC 52 field", []string{"types", "edit", "1", "--field", osc52}, 1, `--field: Cannot read the field "]52;c;cm0gLXJmIH4K"`},
		{"edit: bad field, good name", []string{"types", "edit", "1", "--name", "New", "--field", "X: text", "--field", "Y: colour"}, 1, `--field: The field "Y" has an unknown kind`},
		{"edit: unknown type", []string{"types", "edit", "999", "--name", "New"}, 1, "No request type #999."},
		{"edit: the same name again", []string{"types", "edit", "1", "--name", "Contract review"}, 0, ""},
		// types disable, enable
		{"enable: already", []string{"types", "enable", "1"}, 1, `The request type "Contract review" is already enabled.`},
		{"disable: unknown type", []string{"types", "disable", "2"}, 1, "No request type #2."},
		{"show: unknown type", []string{"types", "show", "2"}, 1, "No request type #2."},
		{"show: the largest ID", []string{"types", "show", "9223372036854775807"}, 1, "No request type #9223372036854775807."},
		{"disable: no ID", []string{"types", "disable"}, 2, "Missing ID; usage: portal-admin types disable ID"},
		{"show: two IDs", []string{"types", "show", "1", "2"}, 2, `Unexpected argument "2"`},
	}
	// Every command that takes an ID, with every kind of bad ID.
	for _, cmd := range []struct {
		name string
		args func(id string) []string
	}{
		{"show", func(id string) []string { return []string{"types", "show", id} }},
		{"show --json", func(id string) []string { return []string{"types", "show", "--json", id} }},
		{"edit", func(id string) []string { return []string{"types", "edit", id, "--name", "X"} }},
		{"disable", func(id string) []string { return []string{"types", "disable", id} }},
		{"enable", func(id string) []string { return []string{"types", "enable", id} }},
	} {
		for _, bad := range []struct{ id, shown string }{
			{"abc", "abc"}, {"0", "0"}, {"-1", "-1"}, {"-9223372036854775808", "-9223372036854775808"},
			{"9223372036854775808", "9223372036854775808"}, {"99999999999999999999999", "99999999999999999999999"},
			{"1.5", "1.5"}, {"+1", "+1"}, {" 1", " 1"}, {"0x10", "0x10"}, {"", ""}, {"1" + esc2J, "1[2J"},
			{osc52, "]52;c;cm0gLXJmIH4K"}, {badUTF8, "\ufffd\ufffd"}, {huge, strings.Repeat("a", 60) + "…"},
		} {
			tests = append(tests, struct {
				name string
				args []string
				code int
				want string
			}{"bad ID " + cmd.name + " " + bad.shown[:min(len(bad.shown), 20)], cmd.args(bad.id), 2,
				`ID "` + bad.shown + `" is not a request type number; take the ID from "types list".`})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, admin(), "", tt.args...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.out, r.err)
			}
			noRaw(t, "stdout", r.out)
			noRaw(t, "stderr", r.err)
			if tt.code != 0 {
				oneLine(t, r.err)
				if !strings.Contains(r.err, tt.want) {
					t.Errorf("stderr %q lacks %q", r.err, tt.want)
				}
				if r.out != "" {
					t.Errorf("stdout %q on failure", r.out)
				}
				if len(r.err) > 600 {
					t.Errorf("stderr is %d bytes: a value was echoed whole", len(r.err))
				}
			}
			if got := typeSnapshot(t, env, 1); got != before {
				t.Errorf("type 1 changed: %s", got)
			}
			if n := typeCount(t, env); n != 1 {
				t.Errorf("%d types stored", n)
			}
		})
	}
}
