package portal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

func TestImportClients(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "known@x.com", Name: "Known"}); err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 10<<20)
	csv := strings.Join([]string{
		"email,name,company,phone",                      // 1 header
		"ann@x.com,Ann Smith,Acme,+1 555 010 0199",      // 2 added
		`bob@x.com,"Brown, Bob","Law ""&"" Co",`,        // 3 added, quoted commas and quotes
		"KNOWN@x.com,Again",                             // 4 duplicate of the database
		"ann@X.com,Ann Twice",                           // 5 duplicate in the file
		"not-an-email,Nobody",                           // 6 bad email
		"only-one-column@x.com",                         // 7 wrong columns
		"eve@x.com,Eve," + huge,                         // 8 10 MB line
		"zoe@x.com,Zo\xffe",                             // 9 invalid UTF-8
		"",                                              // 10 blank: ignored
		"mal@x.com,\"Mal\x1b[31m\"",                     // 11 escape sequence
		"cat@x.com,\"Cat\non two lines\",Acme",          // 12-13: a quoted newline is not allowed in a name
		"dan@x.com,Dan,\"Dan & Sons\",+44 20 7946 0000", // 14 added
	}, "\n")
	var progress []portal.ImportProgress
	rep, err := env.Service.ImportClients(ctx, env.Admin(), strings.NewReader(csv), portal.ImportOptions{
		Invite:   true,
		Progress: func(p portal.ImportProgress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.Duplicates != 2 || rep.Failed != 6 {
		t.Fatalf("report = added %d, duplicates %d, failed %d; errors %+v", rep.Added, rep.Duplicates, rep.Failed, rep.Errors)
	}
	wantLines := []int{6, 7, 8, 9, 11, 12}
	for i, e := range rep.Errors {
		if e.Line != wantLines[i] {
			t.Errorf("error %d on line %d, want %d (%v)", i, e.Line, wantLines[i], e.Err)
		}
		if msg := portal.Message(env.Catalog.Printer("en"), e.Err); strings.Contains(msg, "[error") || strings.ContainsRune(msg, 0x1b) {
			t.Errorf("line %d message %q", e.Line, msg)
		}
	}
	bob, err := env.Store.ClientByEmail(ctx, "bob@x.com")
	if err != nil || bob.Name != "Brown, Bob" || bob.Company != `Law "&" Co` {
		t.Fatalf("quoted fields: %+v %v", bob, err)
	}
	env.LastMail(t, "dan@x.com", portal.MailInvitation)
	if len(progress) == 0 || progress[len(progress)-1].Added != 3 {
		t.Fatalf("progress = %+v", progress)
	}
	support := portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport}
	if _, err := env.Service.ImportClients(ctx, support, strings.NewReader("a@x.com,A"), portal.ImportOptions{}); err != portal.ErrForbidden {
		t.Fatalf("support import: %v", err)
	}
}

func FuzzImportClients(f *testing.F) {
	for _, s := range []string{"email,name\na@x.com,A", "\"unclosed,\n", "a@x.com,\"q\"\"q\",c,d,e", "\xff\xfe,\x00",
		"b@x.com,B\nB@X.com,Again\nnot-an-email,C\n\nc@x.com,Mal\x1b[31m", "d@x.com,\u202eevil,Co,+1 555 0100"} {
		f.Add(s)
	}
	env := portaltest.New(f)
	ctx := context.Background()
	cat := env.Catalog.Printer("en")
	// Rows are found by ID: those after the last seen. The ID also moves
	// for a known email the insert skipped, so the window covers the
	// duplicates since.
	var last uint64
	gap := 0
	f.Fuzz(func(t *testing.T, csv string) {
		rep, err := env.Service.ImportClients(ctx, env.Admin(), strings.NewReader(csv), portal.ImportOptions{})
		if err != nil {
			t.Fatalf("import must report bad input, not fail: %v", err)
		}
		// Every record has exactly one outcome, and every refusal is
		// reported once, on an existing line, in order, with a message.
		if rep.Added+rep.Duplicates+rep.Failed != rep.Lines || len(rep.Errors)+rep.MoreErrors != rep.Failed {
			t.Fatalf("report does not add up: %+v", rep)
		}
		lines := strings.Count(csv, "\n") + 1
		prev := 0
		for _, e := range rep.Errors {
			if e.Line <= prev || e.Line > lines {
				t.Fatalf("error on line %d after line %d, of %d lines", e.Line, prev, lines)
			}
			prev = e.Line
			if msg := portal.Message(cat, e.Err); portal.AsError(e.Err) == nil || strings.HasPrefix(msg, "[") || strings.ContainsRune(msg, 0x1b) {
				t.Fatalf("line %d: %v shown as %q", e.Line, e.Err, msg)
			}
		}
		if want, ok := importBadLines(csv); ok && rep.MoreErrors == 0 {
			var got []int
			for _, e := range rep.Errors {
				got = append(got, e.Line)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("refused lines %v, want %v", got, want)
			}
		}
		// What was stored passes the add-client form's checks unchanged.
		gap += rep.Duplicates
		window := rep.Added + gap
		ids := make([]uint64, window)
		for i := range ids {
			ids[i] = last + uint64(i) + 1
		}
		added, err := env.Store.ClientsByID(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != rep.Added {
			t.Fatalf("%d clients stored, report says %d (last %d)", len(added), rep.Added, last)
		}
		for id, c := range added {
			last, gap = max(last, id), rep.Duplicates
			p := portal.Profile{Email: c.Email, Name: c.Name, Company: c.Company, Phone: c.Phone}
			for _, v := range []string{p.Email, p.Name, p.Company, p.Phone} {
				if !utf8.ValidString(v) || text.Sanitize(v) != v {
					t.Fatalf("stored %+v: %q has a control character or invalid UTF-8", p, v)
				}
			}
			if got, err := portal.CheckProfile(p, true); err != nil || got != p {
				t.Fatalf("stored %+v, which the form refuses or changes: %+v, %v", p, got, err)
			}
		}
	})
}

// importBadLines is, for a CSV without quotes or carriage returns (each
// line is then one record), the lines an import must refuse: the
// add-client form refuses them, or they are too long. ok is false for
// other input.
func importBadLines(csv string) (bad []int, ok bool) {
	if strings.ContainsAny(csv, "\"\r") {
		return nil, false
	}
	first := true
	for i, line := range strings.Split(csv, "\n") {
		if len(line) >= portal.MaxImportLine {
			return nil, false
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		rec := strings.Split(line, ",")
		if first && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), "email") {
			first = false
			continue // a header
		}
		first = false
		if len(rec) < 2 || len(rec) > 4 {
			bad = append(bad, i+1)
			continue
		}
		rec = append(rec, "", "")
		p := portal.Profile{Email: strings.TrimPrefix(rec[0], "\ufeff"), Name: rec[1], Company: rec[2], Phone: rec[3]}
		if _, err := portal.CheckProfile(p, true); err != nil {
			bad = append(bad, i+1)
		}
	}
	return bad, true
}

// TestImportStrayQuoteAndCancel: a quote inside a field belongs to it and
// does not swallow the lines after it; a cancelled import keeps what it
// committed and says so in the audit log.
func TestImportStrayQuoteAndCancel(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("a@x.com,Ann 5\" Smith\n")
	for i := 0; i < 49; i++ {
		fmt.Fprintf(&b, "c%02d@x.com,Client %d\n", i, i)
	}
	rep, err := env.Service.ImportClients(ctx, env.Admin(), strings.NewReader(b.String()), portal.ImportOptions{})
	if err != nil || rep.Added != 50 || rep.Failed != 0 {
		t.Fatalf("stray quote: %+v, %v", rep, err)
	}
	if c, _ := env.Store.ClientByEmail(ctx, "a@x.com"); c == nil || c.Name != `Ann 5" Smith` {
		t.Fatalf("stray quote name = %+v", c)
	}

	cctx, cancel := context.WithCancel(ctx)
	var big strings.Builder
	for i := 0; i < 45_000; i++ {
		fmt.Fprintf(&big, "big%05d@x.com,Big %d\n", i, i)
	}
	rep, err = env.Service.ImportClients(cctx, env.Admin(), strings.NewReader(big.String()), portal.ImportOptions{
		Progress: func(p portal.ImportProgress) {
			if p.Added > 0 {
				cancel() // after the first committed batch
			}
		},
	})
	if err == nil || rep.Added == 0 || rep.Added == 45_000 {
		t.Fatalf("cancelled import: %+v, %v", rep, err)
	}
	events, _ := env.Store.ListAudit(ctx, vocab.AuditQuery{Action: "client.import"})
	if len(events) != 2 || !strings.Contains(events[0].Detail, "stopped") {
		t.Fatalf("audit of the cancelled import: %+v", events)
	}
}

func TestOpenImportFile(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	dir := env.ImportDir
	good := filepath.Join(dir, "clients.csv")
	if err := os.WriteFile(good, []byte("a@x.com,A\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	support := portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport}
	if _, err := env.Service.OpenImportFile(ctx, support, good); err != portal.ErrForbidden {
		t.Fatalf("support: %v", err)
	}
	tests := []struct{ path, key string }{
		{filepath.Join(dir, "missing.csv"), "error.import.not_found"},
		{"missing.csv", "error.import.not_found"},
		{dir, "error.import.not_regular"},
		{fifo, "error.import.not_regular"},
		{"  ", "error.field.required"},
	}
	for _, tt := range tests {
		_, err := env.Service.OpenImportFile(ctx, env.Admin(), tt.path)
		if refusalKey(t, err) != tt.key {
			t.Errorf("%s: %v, want %s", tt.path, err, tt.key)
		}
	}
	for _, path := range []string{good, "clients.csv", "./sub/../clients.csv"} {
		f, err := env.Service.OpenImportFile(ctx, env.Admin(), path)
		if err != nil || f.Name != "clients.csv" || f.Size != 10 {
			t.Fatalf("%s: %+v, %v", path, f, err)
		}
		_ = f.Close()
	}
}

// TestOpenImportFileStaysInTheImportFolder: the console's import reads
// the import folder only; every way out of it is refused with a message
// saying where files must be, and the file outside is never opened.
func TestOpenImportFileStaysInTheImportFolder(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	dir := env.ImportDir
	secret := filepath.Join(filepath.Dir(dir), "portal.db")
	if err := os.WriteFile(secret, []byte("a@x.com,Secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(dir), filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		secret, "../portal.db", "sub/../../portal.db", "/etc/passwd", "/dev/zero",
		"link.csv", filepath.Join(dir, "link.csv"), "up/portal.db",
	} {
		f, err := env.Service.OpenImportFile(ctx, env.Admin(), path)
		if err == nil {
			_ = f.Close()
			t.Errorf("%s: opened a file outside the import folder", path)
			continue
		}
		if refusalKey(t, err) != "error.import.outside_dir" {
			t.Errorf("%s: %v, want error.import.outside_dir", path, err)
			continue
		}
		if msg := portal.Message(env.Catalog.Printer("en"), err); !strings.Contains(msg, "must be in "+dir) {
			t.Errorf("%s: the refusal %q does not say where files go", path, msg)
		}
	}
}
