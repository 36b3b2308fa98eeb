package auth

import (
	"testing"
	"time"
)

func TestLoginDelay(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{-1, 0},
		{0, 0},
		{1, 0},
		{4, 0},
		{5, 15 * time.Minute},
		{6, 30 * time.Minute},
		{7, time.Hour},
		{10, 8 * time.Hour},
		{11, 16 * time.Hour},
		{12, 24 * time.Hour},
		{13, 24 * time.Hour},
		{100, 24 * time.Hour},
		{1 << 40, 24 * time.Hour},
		{int(^uint(0) >> 1), 24 * time.Hour}, // max int
	}
	for _, tt := range tests {
		if got := LoginDelay(tt.failures); got != tt.want {
			t.Errorf("LoginDelay(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestLoginDelayMonotonic(t *testing.T) {
	prev := time.Duration(0)
	for n := range 200 {
		d := LoginDelay(n)
		if d < prev || d > 24*time.Hour {
			t.Fatalf("LoginDelay(%d) = %v after %v", n, d, prev)
		}
		prev = d
	}
}
