package mail

import (
	"math/rand/v2"
	"time"
)

// MaxBackoff is the longest wait between two attempts at one message.
const MaxBackoff = 24 * time.Hour

// firstBackoff is the wait after the first failure.
const firstBackoff = 30 * time.Second

// Backoff is how long to wait after the attempts-th failed attempt: 30s
// after the first, doubling each time, never more than MaxBackoff. Up to
// 10% jitter spreads out the retries of messages that failed together (a
// relay outage fails them all at once); at the cap the jitter is taken off
// instead so the wait still never exceeds a day.
func Backoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := MaxBackoff
	// 30s << 12 is already past a day; checking first avoids overflow.
	if attempts <= 12 {
		d = min(firstBackoff<<(attempts-1), MaxBackoff)
	}
	// rand/v2's top-level functions use a per-goroutine-safe runtime source,
	// so no generator of ours needs seeding or locking.
	jitter := rand.N(d / 10)
	if d+jitter > MaxBackoff {
		return d - jitter
	}
	return d + jitter
}
