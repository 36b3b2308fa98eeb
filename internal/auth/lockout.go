package auth

import "time"

// Login throttling numbers (DESIGN.md "Security numbers"). The store keeps
// the counters; this package only says what they mean.
const (
	// MaxFailuresBeforeLockout consecutive failures start the delay.
	MaxFailuresBeforeLockout = 5
	// AddressLimit login attempts are allowed per source address in
	// any AddressWindow.
	AddressLimit  = 30
	AddressWindow = 10 * time.Minute

	firstLockout = 15 * time.Minute
	maxLockout   = 24 * time.Hour
)

// LoginDelay is how long an account must wait before its next login
// attempt after consecutiveFailures failures in a row: none below
// MaxFailuresBeforeLockout, then 15 minutes doubling with each further
// failure, never more than a day. At the cap a guesser gets one try a
// day, far inside NIST's limit of 100 consecutive failures, while a client
// who forgot a password is never shut out for more than a day.
func LoginDelay(consecutiveFailures int) time.Duration {
	if consecutiveFailures < MaxFailuresBeforeLockout {
		return 0
	}
	d := firstLockout
	// Doubling in a loop that stops at the cap cannot overflow, however
	// large the count.
	for i := MaxFailuresBeforeLockout; i < consecutiveFailures && d < maxLockout; i++ {
		d *= 2
	}
	return min(d, maxLockout)
}
