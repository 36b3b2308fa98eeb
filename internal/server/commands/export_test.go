package commands

import "time"

// SetProgressEvery changes how often clients import reports progress, for
// the length of a test.
func SetProgressEvery(d time.Duration) (restore func()) {
	old := progressEvery
	progressEvery = d
	return func() { progressEvery = old }
}

// ParseSince is parseSince, for its table test.
var ParseSince = parseSince
