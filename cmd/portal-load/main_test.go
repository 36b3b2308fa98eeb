package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/loadtest"
)

// asCommandEnv makes the test binary act as portal-load itself: the run
// starts the floor by running its own executable with "floor".
const asCommandEnv = "PORTAL_LOAD_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLoadAgainstFloorAndPortal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the portal and loads two servers; runs without -short")
	}
	t.Setenv(asCommandEnv, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	f := runFlags{sessions: 20, rate: 50, sources: 2, logins: 3, servers: serverKinds,
		settle: 300 * time.Millisecond, cpuWindow: time.Second, closeSettle: time.Second, timeout: 30 * time.Second}
	if err := runLoad(ctx, f, &out, &log); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep loadtest.Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not the JSON report: %v\n%s", err, out.String())
	}
	if len(rep.Runs) != 3 {
		t.Fatalf("%d runs, want floor, portal, portal silent:\n%s", len(rep.Runs), out.String())
	}
	for _, r := range rep.Runs {
		name := r.Server + " " + r.Terminal
		if r.Failures != 0 || r.FirstFrame.N != 20 {
			t.Errorf("%s: %d failures %v, %d first frames; want 0 and 20", name, r.Failures, r.FailureKinds, r.FirstFrame.N)
		}
		if r.FirstFrame.P50 <= 0 || r.Handshake.P50 <= 0 || r.Handshake.P50 > r.FirstFrame.P50 {
			t.Errorf("%s: handshake %+v, first frame %+v", name, r.Handshake, r.FirstFrame)
		}
		// Every session is served by goroutines of its own, and they go.
		if r.GoroutinesPerSession < 2 || r.GoroutinesAfter2 < 0 || r.GoroutinesAfter2 > r.GoroutinesBefore+5 {
			t.Errorf("%s: goroutines before %d, per session %.1f, after two rounds %d", name, r.GoroutinesBefore, r.GoroutinesPerSession, r.GoroutinesAfter2)
		}
		if r.RSSIdle <= 0 || r.GoMemIdle <= r.GoMemBefore {
			t.Errorf("%s: memory not read: RSS %d, Go memory %d → %d", name, r.RSSIdle, r.GoMemBefore, r.GoMemIdle)
		}
		if r.Server == "portal" && (r.Login.N != 3 || r.Login.P50 <= 0) {
			t.Errorf("%s: %d of 3 log ins measured", name, r.Login.N)
		}
	}
	if len(rep.Targets) < 10 {
		t.Errorf("only %d targets judged", len(rep.Targets))
	}
	for _, want := range []string{"first frame ms p50/p99/max", "floor cooperative", "portal silent", "target"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlagsSayWhatIsWrong(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--sessions", "0"}, "--sessions"},
		{[]string{"--sessions", "many"}, "sessions"},
		{[]string{"--rate", "-5"}, "--rate"},
		{[]string{"--sources", "999999"}, "--sources"},
		{[]string{"--logins", "5000"}, "--logins"},
		{[]string{"--servers", "floor,soft-serve"}, `"soft-serve" is not one of floor, portal, portal-silent`},
		{[]string{"--servers", ""}, "--servers"},
		{[]string{"extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := newRootCommand()
			cmd.SetArgs(tt.args)
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestInviteToken(t *testing.T) {
	for body, want := range map[string]string{
		"run: ssh -p 2222 invite-AbC123@host\n": "AbC123",
		"no token here":                         "",
		"invite-@host":                          "",
		"invite-dangling":                       "",
	} {
		got, ok := inviteToken(body)
		if got != want || ok != (want != "") {
			t.Errorf("inviteToken(%q) = %q, %v; want %q", body, got, ok, want)
		}
	}
}
