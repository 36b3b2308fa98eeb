package portal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/store"
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
	support := portal.Actor{Kind: store.ActorStaff, Name: "sam", Role: store.RoleSupport}
	if _, err := env.Service.ImportClients(ctx, support, strings.NewReader("a@x.com,A"), portal.ImportOptions{}); err != portal.ErrForbidden {
		t.Fatalf("support import: %v", err)
	}
}

func FuzzImportClients(f *testing.F) {
	for _, s := range []string{"email,name\na@x.com,A", "\"unclosed,\n", "a@x.com,\"q\"\"q\",c,d,e", "\xff\xfe,\x00"} {
		f.Add(s)
	}
	env := portaltest.New(f)
	f.Fuzz(func(t *testing.T, csv string) {
		rep, err := env.Service.ImportClients(context.Background(), env.Admin(), strings.NewReader(csv), portal.ImportOptions{})
		if err != nil {
			t.Fatalf("import must report bad input, not fail: %v", err)
		}
		if rep.Added+rep.Duplicates+rep.Failed > rep.Lines {
			t.Fatalf("report counts more outcomes than lines: %+v", rep)
		}
	})
}
