package portaltest

import (
	"sync"
	"time"
)

// Clock is a portal's time in a test (portal.WithClock(c.Now)): it starts
// at a fixed moment, so that times on screen and in mails are the same on
// every run, and moves only when the test moves it, so that a change made
// later is seen as later and an expiry or a lockout ends when the test
// says. It is safe for the portal's goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock at 2026-11-23 09:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
