package portal

import (
	"context"
	"sync"
	"time"
)

// Sessions tracks which live SSH sessions belong to which client, so that a
// password reset or a disable can end them at once. It holds this
// instance's sessions; through its Recorder, the database holds every
// instance's, so that any of them can count a client's sessions.
type Sessions struct {
	mu   sync.Mutex
	now  func() time.Time
	rec  Recorder
	byID map[string]boundSession
}

// Recorder keeps the database's list of live sessions in step with a
// Sessions. Its calls must not fail the session: they log what fails.
type Recorder interface {
	SessionBound(id string, clientID uint64, at time.Time)
	SessionGone(id string)
}

type noRecorder struct{}

func (noRecorder) SessionBound(string, uint64, time.Time) {}
func (noRecorder) SessionGone(string)                     {}

type boundSession struct {
	clientID uint64
	at       time.Time // when it was bound
	end      func()
	// forget stops the AfterFunc that unbinds the session when its context
	// ends, so binding again does not pile them up.
	forget func() bool
}

// NewSessions makes an empty registry whose clock is now, telling rec
// (when not nil) of each session bound and gone.
func NewSessions(now func() time.Time, rec Recorder) *Sessions {
	if rec == nil {
		rec = noRecorder{}
	}
	return &Sessions{now: now, rec: rec, byID: map[string]boundSession{}}
}

// Bind records that session id is client clientID's; end ends it. Binding
// a session again replaces its earlier binding. The binding goes away by
// itself when ctx (the SSH session's) ends.
func (r *Sessions) Bind(ctx context.Context, clientID uint64, id string, end func()) {
	at := r.now()
	// Recorded before the binding can go: a session whose context ends
	// at once is recorded, then forgotten, in that order.
	r.rec.SessionBound(id, clientID, at)
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byID[id]; ok {
		old.forget()
	}
	stop := context.AfterFunc(ctx, func() { r.Unbind(clientID, id) })
	r.byID[id] = boundSession{clientID: clientID, at: at, end: end, forget: stop}
}

// Unbind forgets session id of the client (after log out).
func (r *Sessions) Unbind(clientID uint64, id string) {
	r.mu.Lock()
	b, ok := r.byID[id]
	if ok && b.clientID == clientID {
		b.forget()
		delete(r.byID, id)
	}
	r.mu.Unlock()
	if ok && b.clientID == clientID {
		r.rec.SessionGone(id)
	}
}

// End ends every live session of the client but the one named except, and
// returns how many it ended.
func (r *Sessions) End(clientID uint64, except string) int {
	return r.EndBefore(clientID, except, time.Time{})
}

// EndBefore is End for the sessions bound before at (all of them when at
// is zero): an end told by another instance must not end a session that
// logged in afresh after it.
func (r *Sessions) EndBefore(clientID uint64, except string, at time.Time) int {
	r.mu.Lock()
	var ends []func()
	var gone []string
	for id, b := range r.byID {
		if b.clientID == clientID && id != except && (at.IsZero() || b.at.Before(at)) {
			ends = append(ends, b.end)
			gone = append(gone, id)
			b.forget()
			delete(r.byID, id)
		}
	}
	r.mu.Unlock()
	// Called outside the lock: an end function may take time or re-enter.
	for i, end := range ends {
		r.rec.SessionGone(gone[i])
		end()
	}
	return len(ends)
}

// Count is how many live sessions the client has on this instance.
func (r *Sessions) Count(clientID uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.byID {
		if b.clientID == clientID {
			n++
		}
	}
	return n
}
