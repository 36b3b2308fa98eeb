package commands_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/server/commands"
)

// errorLines are the "line N: …" lines of stderr.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "line ") {
			out = append(out, l)
		}
	}
	return out
}

func TestClientsImport(t *testing.T) {
	huge := strings.Repeat("x", 10<<20)
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		summary string
		errs    []string // prefixes of the "line N:" lines, in order
		added   []string // emails that must now exist
		absent  []string // emails that must not
	}{
		{"empty input", "", nil, 0, "0 lines: 0 added, 0 already known, 0 refused", nil, nil, nil},
		{"header only", "email,name,company,phone\n", nil, 0, "0 lines: 0 added, 0 already known, 0 refused", nil, nil, nil},
		{"header and rows", "email,name,company,phone\nbob@example.com,Bob,Bob & Co,+1 555 010 0199\ncat@example.com,Cat\n", nil, 0,
			"2 lines: 2 added, 0 already known, 0 refused", nil, []string{"bob@example.com", "cat@example.com"}, nil},
		{"no header, CRLF, blank lines", "bob@example.com,Bob\r\n\r\ncat@example.com,Cat\r\n", nil, 0,
			"2 lines: 2 added, 0 already known, 0 refused", nil, []string{"bob@example.com", "cat@example.com"}, nil},
		{"quoted fields with commas and quotes", "bob@example.com,\"Smith, Bob\",\"Bob \"\"The Firm\"\", Inc\"\n", nil, 0,
			"1 line: 1 added, 0 already known, 0 refused", nil, []string{"bob@example.com"}, nil},
		{"quoted field over two lines", "bob@example.com,\"Bob\nSmith\"\ncat@example.com,Cat\n", nil, 1,
			"2 lines: 1 added, 0 already known, 1 refused", []string{"line 1: name: Contains control characters"}, []string{"cat@example.com"}, []string{"bob@example.com"}},
		{"wrong columns", "bob@example.com\ncat@example.com,Cat,Co,+1 555 010 0199,extra\ndan@example.com,Dan\n", nil, 1,
			"3 lines: 1 added, 0 already known, 2 refused",
			[]string{"line 1: Expected 2 to 4 columns (email,name,company,phone), found 1.", "line 2: Expected 2 to 4 columns (email,name,company,phone), found 5."},
			[]string{"dan@example.com"}, []string{"bob@example.com", "cat@example.com"}},
		{"bad emails", "not-an-email,Bob\n@example.com,At\nbob@example.com,Bob\n", nil, 1,
			"3 lines: 1 added, 0 already known, 2 refused",
			[]string{"line 1: email: That is not an email address", "line 2: email: That is not an email address"},
			[]string{"bob@example.com"}, nil},
		{"a 10 MB line", "bob@example.com,Bob\ncat@example.com," + huge + "\ndan@example.com,Dan\n", nil, 1,
			"3 lines: 2 added, 0 already known, 1 refused", []string{"line 2: The line is longer than 65536 bytes; it was skipped."},
			[]string{"bob@example.com", "dan@example.com"}, []string{"cat@example.com"}},
		{"invalid UTF-8", "b\xffb@example.com,Bob\ncat@example.com,C\xfe\xfft\ndan@example.com,Dan\n", nil, 1,
			"3 lines: 1 added, 0 already known, 2 refused",
			[]string{"line 1: email: That is not an email address", "line 2: name:"},
			[]string{"dan@example.com"}, []string{"cat@example.com"}},
		{"control bytes", "eve@example.com,Eve\x1b[2J\u009b31m\nfay@example.com,Fay,Co\u202eoC\n", nil, 1,
			"2 lines: 0 added, 0 already known, 2 refused",
			[]string{"line 1: name: Contains control characters", "line 2: company: Contains control characters"},
			nil, []string{"eve@example.com", "fay@example.com"}},
		{"duplicates in the file and in the database", "ivy@example.com,Ivy\nbob@example.com,Bob\nBOB@example.com,Bob again\n ADA@example.com ,Ada\n", nil, 0,
			"4 lines: 1 added, 3 already known, 0 refused", nil, []string{"bob@example.com"}, nil},
		{"unclosed quote", "bob@example.com,\"Bob\n", nil, 1,
			"1 line: 0 added, 0 already known, 1 refused", []string{"line 1: Not valid CSV"}, nil, []string{"bob@example.com"}},
		{"with invitations", "bob@example.com,Bob\n", []string{"--invite"}, 0,
			"1 line: 1 added (invitations queued), 0 already known, 0 refused", nil, []string{"bob@example.com"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			r := run(t, env, admin(), tt.stdin, append([]string{"clients", "import"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("code %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.out, r.err)
			}
			if r.out != tt.summary+"\n" {
				t.Errorf("stdout %q, want %q", r.out, tt.summary)
			}
			noRaw(t, "stderr", r.err)
			if !utf8.ValidString(r.err) || !utf8.ValidString(r.out) {
				t.Errorf("invalid UTF-8 echoed: %q", r.err)
			}
			if len(r.err) > 2000 {
				t.Errorf("stderr is %d bytes: a line was echoed whole", len(r.err))
			}
			got := errorLines(r.err)
			if len(got) != len(tt.errs) || strings.Count(r.err, "\n") != len(tt.errs) {
				t.Fatalf("stderr:\n%s\nwant %d lines: %q", r.err, len(tt.errs), tt.errs)
			}
			for i, w := range tt.errs {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("stderr line %q, want %q…", got[i], w)
				}
			}
			for _, e := range tt.added {
				if clientStatus(t, env, e) == "" {
					t.Errorf("%s was not added", e)
				}
			}
			for _, e := range tt.absent {
				if clientStatus(t, env, e) != "" {
					t.Errorf("%s was added", e)
				}
			}
			// Invitations go out only when asked for.
			if len(tt.added) > 0 {
				mails := env.Mails(t, tt.added[0])
				invite := len(tt.args) > 0
				if invite != (len(mails) == 1) {
					t.Errorf("--invite %v, %d mails", invite, len(mails))
				}
			}
		})
	}

	t.Run("quoted fields are stored as written", func(t *testing.T) {
		env := setup(t)
		r := run(t, env, admin(), "bob@example.com,\"Smith, Bob\",\"Bob \"\"The Firm\"\", Inc\",\"+1 555 010 0199\"\n", "clients", "import")
		if r.code != 0 {
			t.Fatalf("code %d: %s", r.code, r.err)
		}
		c := env.ClientByEmail(t, "bob@example.com")
		if c.Name != "Smith, Bob" || c.Company != `Bob "The Firm", Inc` || c.Phone != "+1 555 010 0199" {
			t.Errorf("stored %q / %q / %q", c.Name, c.Company, c.Phone)
		}
	})
}

// TestClientsImportLarge shows the progress lines and the cap on listed
// errors.
func TestClientsImportLarge(t *testing.T) {
	defer commands.SetProgressEvery(0)()
	env := setup(t)
	var in strings.Builder
	in.WriteString("email,name\n")
	for i := 0; i < 2500; i++ {
		fmt.Fprintf(&in, "c%05d@example.com,Client %d\n", i, i)
	}
	for i := 0; i < 1005; i++ {
		in.WriteString("bad,Bad\n")
	}
	r := run(t, env, admin(), in.String(), "clients", "import")
	if r.code != commands.ExitFailed {
		t.Fatalf("code %d: %s", r.code, r.out)
	}
	if r.out != "3505 lines: 2500 added, 0 already known, 1005 refused\n" {
		t.Errorf("summary %q", r.out)
	}
	// Progress lines come per batch of the import, whatever its size.
	if !regexp.MustCompile(`imported so far: \d+ lines read, \d+ clients added…\n`).MatchString(r.err) {
		t.Errorf("stderr has no progress line:\n%.300s", r.err)
	}
	for _, w := range []string{"line 2502: email: That is not an email address", "line 3501: email:", "… and 5 more refused lines not listed.\n"} {
		if !strings.Contains(r.err, w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	if n := len(errorLines(r.err)); n != 1000 {
		t.Errorf("%d error lines, want 1000", n)
	}
	// The same file again: every good line is now a duplicate.
	r = run(t, env, admin(), in.String(), "clients", "import")
	if !strings.HasPrefix(r.out, "3505 lines: 0 added, 2500 already known, 1005 refused") {
		t.Errorf("again: %q", r.out)
	}
}

// TestClientsImportQuiet: an import that ends before the first progress
// line is due prints none. The interval is an hour here: with the default
// half second, a loaded machine could take longer than that for 100 lines.
func TestClientsImportQuiet(t *testing.T) {
	defer commands.SetProgressEvery(time.Hour)()
	env := setup(t)
	var in strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&in, "c%05d@example.com,Client %d\n", i, i)
	}
	r := run(t, env, admin(), in.String(), "clients", "import", "--invite")
	if r.code != 0 || r.err != "" {
		t.Fatalf("code %d, stderr %q", r.code, r.err)
	}
	if r.out != "100 lines: 100 added (invitations queued), 0 already known, 0 refused\n" {
		t.Errorf("stdout %q", r.out)
	}
	env.LastMail(t, "c00099@example.com", portal.MailInvitation)
}
