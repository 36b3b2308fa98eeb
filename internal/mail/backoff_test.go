package mail

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		base     time.Duration
	}{
		{0, 30 * time.Second},
		{1, 30 * time.Second},
		{2, time.Minute},
		{3, 2 * time.Minute},
		{8, 64 * time.Minute},
		{12, 1024 * time.Minute},
		{13, MaxBackoff},
		{64, MaxBackoff},
		{1 << 30, MaxBackoff},
	}
	for _, tt := range tests {
		for range 200 {
			got := Backoff(tt.attempts)
			lo, hi := tt.base, tt.base+tt.base/10
			if tt.base == MaxBackoff {
				lo, hi = MaxBackoff-MaxBackoff/10, MaxBackoff
			}
			if got < lo || got > hi {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", tt.attempts, got, lo, hi)
			}
		}
	}
}

func TestBackoffJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[Backoff(5)] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct waits in 50: no jitter?", len(seen))
	}
}
