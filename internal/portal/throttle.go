package portal

import (
	"sync"
	"time"
)

// throttle is an in-memory token bucket per key, in front of the limits
// kept in the database: a flood from one host or one session is refused
// here, before it costs the database a read, and the shared count still
// holds the limit across instances. Buckets that have filled up again
// are forgotten, so memory follows the hosts active lately, not all ever
// seen.
type throttle struct {
	mu      sync.Mutex
	burst   float64
	every   time.Duration // one token back per every
	buckets map[string]*bucket
	sweepAt int // sweep full buckets once the map has grown this big
}

type bucket struct {
	tokens  float64
	at      time.Time
	refused bool // the last try was refused
}

func newThrottle(burst int, every time.Duration) *throttle {
	return &throttle{burst: float64(burst), every: every, buckets: map[string]*bucket{}, sweepAt: 1024}
}

// allow takes a token from key's bucket at now, and reports whether there
// was one. first reports the first refusal since the bucket last allowed,
// so a caller can record a flood once rather than once per try.
func (t *throttle) allow(key string, now time.Time) (ok, first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[key]
	if b == nil {
		if len(t.buckets) >= t.sweepAt {
			t.sweep(now)
		}
		b = &bucket{tokens: t.burst, at: now}
		t.buckets[key] = b
	}
	b.tokens = t.refill(b, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		b.refused = false
		return true, false
	}
	first, b.refused = !b.refused, true
	return false, first
}

func (t *throttle) refill(b *bucket, now time.Time) float64 {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		return min(t.burst, b.tokens+float64(elapsed)/float64(t.every))
	}
	return b.tokens
}

// sweep forgets the buckets that are full again; if nearly all are still
// in use, the next sweep waits for twice as many.
func (t *throttle) sweep(now time.Time) {
	for k, b := range t.buckets {
		if t.refill(b, now) >= t.burst {
			delete(t.buckets, k)
		}
	}
	t.sweepAt = max(1024, 2*len(t.buckets))
}
