package commands_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/server/commands"
)

// These tests stay in Go: they hand Run streams no SSH session gives (a
// writer that panics, one that fails), race calls against each other, read
// the package's source, or test a parser alone. Everything staff see of a
// command is in testdata/script.

func support() portal.Actor {
	return portal.StaffActor(&portal.StaffMember{Name: "sam", Role: vocab.RoleSupport}, "10.0.0.2:50000")
}

func admin() portal.Actor {
	return portal.StaffActor(&portal.StaffMember{Name: "ann", Role: vocab.RoleAdmin}, "10.0.0.1:50000")
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
	env := portaltest.New(t)
	env.AddActiveClient(t, "ada@example.com", "Ada Active")
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
// flags and streams. Twenty calls at once in one process are what a script
// of sequential commands cannot make.
func TestConcurrentCalls(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, "ada@example.com", "Ada Active")
	if _, err := env.Service.AddClient(context.Background(), env.Admin(), portal.NewClient{Email: "ivy@example.com", Name: "Ivy Invited"}); err != nil {
		t.Fatal(err)
	}
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

// TestRunWithoutCommand: Run given no words at all. Over SSH the server
// answers an empty command itself (see the usage script), so only a
// direct call reaches this.
func TestRunWithoutCommand(t *testing.T) {
	env := portaltest.New(t)
	var out, errb bytes.Buffer
	code := commands.Run(context.Background(), env.Service, admin(), []string{}, nil, &out, &errb)
	if code != commands.ExitUsage || out.String() != "" || errb.String() != "Give a command; run \"help\" to list them.\n" {
		t.Errorf("code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
