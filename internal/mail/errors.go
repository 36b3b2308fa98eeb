package mail

import (
	"context"
	"errors"
)

// permanentError marks a failure that no retry can fix: a malformed address,
// a recipient the server refuses with a 5xx reply.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent, for Sender implementations outside this
// package. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err says the message can never be delivered,
// so the outbox should stop trying. Everything not marked permanent is
// treated as temporary: losing a message to a misjudged transient error is
// worse than retrying a hopeless one for a while. A cancelled or expired
// context is never permanent, whatever else the error wraps.
func IsPermanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var p *permanentError
	return errors.As(err, &p)
}
