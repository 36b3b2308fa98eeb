package portal

import (
	"fmt"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		tries []time.Duration // offsets from start
		burst int
		every time.Duration
		want  string // one letter a try: y allowed, F first refusal, n refused
	}{
		{"burst then refused", []time.Duration{0, 0, 0, 0, 0}, 3, time.Second, "yyyFn"},
		{"a token back after every", []time.Duration{0, 0, time.Second, time.Second, 3 * time.Second}, 1, time.Second, "yFyFy"},
		{"never more than the burst", []time.Duration{0, time.Hour, time.Hour, time.Hour, time.Hour}, 2, time.Second, "yyyFn"},
		{"refusals take nothing", []time.Duration{0, 0, 500 * time.Millisecond, 999 * time.Millisecond, time.Second}, 1, time.Second, "yFnny"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := newThrottle(tt.burst, tt.every)
			got := ""
			for _, d := range tt.tries {
				ok, first := th.allow("k", start.Add(d))
				switch {
				case ok:
					got += "y"
				case first:
					got += "F"
				default:
					got += "n"
				}
			}
			if got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestThrottleForgetsIdleHosts: a million hosts trying once each leave no
// more buckets than the sweep threshold allows, once they are full again.
func TestThrottleForgetsIdleHosts(t *testing.T) {
	th := newThrottle(2, time.Millisecond)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		now = now.Add(time.Millisecond)
		th.allow(fmt.Sprint("host-", i), now)
	}
	if n := len(th.buckets); n > 2048 {
		t.Fatalf("%d buckets kept for 100,000 hosts seen once; want them forgotten once full", n)
	}
}
