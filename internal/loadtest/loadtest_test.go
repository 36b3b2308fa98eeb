package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAnswerQueriesOncePerQueryAcrossReads(t *testing.T) {
	osc := "\x1b]11;?"
	tests := []struct {
		name  string
		reads []string
		want  string
	}{
		{"one query", []string{"hello" + osc + "world"}, "\x1b]11;rgb:0000/0000/0000\x1b\\"},
		{"split between reads", []string{"abc\x1b]1", "1;?def"}, "\x1b]11;rgb:0000/0000/0000\x1b\\"},
		{"two in one read", []string{"\x1b[6n x \x1b[6n"}, "\x1b[1;1R\x1b[1;1R"},
		{"one query, long reads after", []string{"\x1b[c", strings.Repeat("x", 100), "y"}, "\x1b[?62;22c"},
		{"query in the kept tail is not answered twice", []string{"....\x1b[c", "z"}, "\x1b[?62;22c"},
		{"none", []string{"\x1b[2J\x1b[H plain"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			var win []byte
			for _, r := range tt.reads {
				tail := len(win)
				win = append(win, r...)
				answerQueries(&out, win, tail)
				win = append(win[:0], win[max(0, len(win)-queryTail):]...)
			}
			if out.String() != tt.want {
				t.Fatalf("answers %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestQuantilesNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	q := quantiles(ds)
	if q.N != 100 || q.P50 != 50 || q.P99 != 99 || q.Max != 100 {
		t.Fatalf("quantiles = %+v, want n 100, p50 50, p99 99, max 100", q)
	}
	if q := quantiles(nil); q != (Quantiles{}) {
		t.Fatalf("quantiles(nil) = %+v", q)
	}
}

func TestRunConnectsOnlyToLoopback(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:22", "example.com:22", "[2001:db8::1]:22", "0.0.0.0:22", "nonsense"} {
		_, err := Run(context.Background(), Server{Name: "x", Addr: addr, PID: 1}, Options{Sessions: 1})
		if err == nil {
			t.Errorf("Run accepted %s", addr)
		}
	}
	if _, err := Run(context.Background(), Server{Name: "x", Addr: "127.0.0.1:1", Pprof: "192.168.1.1:6060", PID: 1}, Options{Sessions: 1}); err == nil {
		t.Error("Run accepted a profiler on a non-loopback address")
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("handshake: %w", errors.New("read tcp: i/o timeout")), "handshake: timeout"},
		{fmt.Errorf("first frame: %w", errors.New("unexpected EOF")), "first frame: closed by server"},
		{fmt.Errorf("dial: %w", errors.New("connect: connection refused")), "dial: refused"},
		{context.Canceled, "cancelled"},
		{errors.New("odd"), "odd"},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestReportJudgesTargetsAgainstTheFloor(t *testing.T) {
	floor := Result{Server: "floor", Terminal: "cooperative", Sessions: 500, FirstFrame: Quantiles{N: 500, P50: 20, P99: 30}, KiBPerSession: 200, IdleCPU: 400,
		GoroutinesBefore: 6, GoroutinesAfter: 6, GoroutinesAfter2: 6, GoMemBefore: 9000, GoMemIdle: 70000, GoMemAfter: 15000, GoMemAfter2: 15000}
	good := floor
	good.Server = "portal"
	bad := good
	bad.Terminal = "silent"
	bad.FirstFrame.P50, bad.FirstFrame.P99 = 40, 150
	bad.KiBPerSession, bad.IdleCPU = 400, 500
	bad.GoroutinesAfter2 = 6 + 500
	bad.GoMemAfter2 = 15000 + 5000
	bad.Failures = 1
	rep := NewReport([]Result{floor, good, bad})
	met := map[string]bool{}
	for _, tg := range rep.Targets {
		met[tg.Name] = tg.Met
	}
	for name, want := range map[string]bool{
		"portal cooperative: failures":                                                        true,
		"portal cooperative: first frame p50 vs floor":                                        true,
		"portal cooperative: memory per idle session vs floor":                                true,
		"portal cooperative: goroutines left after close":                                     true,
		"portal silent: failures":                                                             false,
		"portal silent: first frame p99 at 500 sessions":                                      false,
		"portal silent: first frame p50 vs floor":                                             false,
		"portal silent: memory per idle session vs floor":                                     false,
		"portal silent: idle CPU per 1,000 sessions vs floor":                                 false,
		"portal silent: goroutines left after close":                                          false,
		"silent terminal: first frame p50 vs cooperative":                                     false,
		"portal cooperative: idle CPU per 1,000 sessions vs floor":                            true,
		"portal silent: Go memory a second round of sessions leaves, share of what they held": false,
	} {
		got, ok := met[name]
		if !ok || got != want {
			t.Errorf("target %q: met=%v (present %v), want %v", name, got, ok, want)
		}
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "NO") || !strings.Contains(table.String(), "floor cooperative") {
		t.Fatalf("table:\n%s", table.String())
	}
}
