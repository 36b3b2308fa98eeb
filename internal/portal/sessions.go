package portal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/clientportal/portal/internal/store"
)

// Sessions tracks which live SSH sessions belong to which client, so that a
// password reset or a disable can end them at once. It holds this
// instance's sessions; through its Recorder, the database holds every
// instance's, so that any of them can count a client's sessions.
type Sessions struct {
	mu   sync.Mutex
	now  func() time.Time
	byID map[string]boundSession
	rec  *recordQueue
}

// Recorder keeps the database's list of live sessions in step with a
// Sessions. Its calls are made one at a time, off the caller's path, each
// session's in order (a session bound and gone before its turn is not
// told at all); they log what fails rather than fail the session.
type Recorder interface {
	// SessionBound: gen is the client's SessionsGen as the log in read it.
	SessionBound(id string, clientID uint64, credential string, gen int64, at time.Time)
	SessionGone(id string)
}

type boundSession struct {
	clientID uint64
	// staffKey is the SHA256 fingerprint of the key a staff session
	// connected with (clientID 0); removing the key ends the session.
	staffKey string
	// credential names the password the session logged in with (see
	// Credential): a password change ends the sessions of other ones.
	credential string
	end        func()
	// forget stops the AfterFunc that unbinds the session when its context
	// ends, so binding again does not pile them up.
	forget func() bool
}

// NewSessions makes an empty registry whose clock is now, telling rec
// (when not nil) of each session bound and gone.
func NewSessions(now func() time.Time, rec Recorder) *Sessions {
	return &Sessions{now: now, byID: map[string]boundSession{}, rec: &recordQueue{rec: rec}}
}

// Credential names the password a client logs in with, without revealing
// anything of it: a session bound with one is kept by a password change
// that leads to it, and ended by one that leads elsewhere.
func Credential(c *store.Client) string { return credentialOf(c.PasswordHash) }

func credentialOf(passwordHash string) string {
	sum := sha256.Sum256([]byte(passwordHash))
	return hex.EncodeToString(sum[:8])
}

// Bind records that session id is client c's, logged in with c's current
// password and c's SessionsGen (c as the log in read it); end ends it. Binding a session again replaces its earlier
// binding. The binding goes away by itself when ctx (the SSH session's)
// ends.
func (r *Sessions) Bind(ctx context.Context, c *Client, id string, end func()) {
	clientID := c.ID
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byID[id]; ok {
		old.forget()
	}
	credential := c.login.credential
	// Queued before the AfterFunc can queue the session's removal.
	r.rec.bound(id, clientID, credential, c.login.sessionsGen, r.now())
	stop := context.AfterFunc(ctx, func() { r.Unbind(clientID, id) })
	r.byID[id] = boundSession{clientID: clientID, credential: credential, end: end, forget: stop}
}

// BindStaff records that session id is a staff member's, connected with
// the key of that SHA256 fingerprint; end ends it. Removing the key (or its
// owner) ends it (EndStaff). Staff sessions stay out of the database's
// list, which counts clients' sessions. The binding goes away by itself
// when ctx ends.
func (r *Sessions) BindStaff(ctx context.Context, fingerprint, id string, end func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byID[id]; ok {
		old.forget()
	}
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if b, ok := r.byID[id]; ok && b.staffKey == fingerprint {
			delete(r.byID, id)
		}
	})
	r.byID[id] = boundSession{staffKey: fingerprint, end: end, forget: stop}
}

// EndStaff ends the live sessions of the staff key with that fingerprint,
// and returns how many it ended.
func (r *Sessions) EndStaff(fingerprint string) int {
	if fingerprint == "" {
		return 0
	}
	r.mu.Lock()
	var ends []func()
	for id, b := range r.byID {
		if b.staffKey != fingerprint {
			continue
		}
		ends = append(ends, b.end)
		b.forget()
		delete(r.byID, id)
	}
	r.mu.Unlock()
	for _, end := range ends {
		end()
	}
	return len(ends)
}

// EndOne ends session id if it is still bound with credential: a session
// whose log in turned out stale (see sessionRecorder).
func (r *Sessions) EndOne(id, credential string) {
	r.mu.Lock()
	b, ok := r.byID[id]
	if !ok || b.credential != credential {
		r.mu.Unlock()
		return
	}
	b.forget()
	delete(r.byID, id)
	r.rec.gone(id)
	r.mu.Unlock()
	b.end()
}

// Close waits until the database has heard of every session bound and gone
// so far, or ctx ends: at shutdown, before the instance signs off.
func (r *Sessions) Close(ctx context.Context) error {
	return r.rec.wait(ctx)
}

// Unbind forgets session id of the client (after log out).
func (r *Sessions) Unbind(clientID uint64, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.byID[id]; ok && b.clientID == clientID {
		b.forget()
		delete(r.byID, id)
		r.rec.gone(id)
	}
}

// End ends the client's live sessions but the one named except and, when
// keep is not empty, those logged in with the credential keep (a session
// begun with the new password after a change). It returns how many it
// ended.
func (r *Sessions) End(clientID uint64, except, keep string) int {
	r.mu.Lock()
	var ends []func()
	for id, b := range r.byID {
		if b.clientID != clientID || id == except || (keep != "" && b.credential == keep) {
			continue
		}
		ends = append(ends, b.end)
		b.forget()
		delete(r.byID, id)
		r.rec.gone(id)
	}
	r.mu.Unlock()
	// Called outside the lock: an end function may take time or re-enter.
	for _, end := range ends {
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

// recordQueue hands a Recorder its calls from one goroutine that runs
// while there are calls waiting, so that neither a log in nor the end of a
// session waits on the database. It keeps the last state asked for each
// session, in the order sessions were first asked about: a session bound
// and gone before its turn costs one delete, and a slow database does not
// grow the backlog beyond one entry per session.
type recordQueue struct {
	rec     Recorder
	mu      sync.Mutex
	order   []string          // session IDs, in the order first queued
	latest  map[string]func() // the last call asked for each queued ID
	running bool
	idle    chan struct{} // closed when the drain stops; nil while none ran
}

func (q *recordQueue) bound(id string, clientID uint64, credential string, gen int64, at time.Time) {
	q.push(id, func() { q.rec.SessionBound(id, clientID, credential, gen, at) })
}

func (q *recordQueue) gone(id string) {
	q.push(id, func() { q.rec.SessionGone(id) })
}

func (q *recordQueue) push(id string, op func()) {
	if q.rec == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.latest == nil {
		q.latest = map[string]func(){}
	}
	if _, queued := q.latest[id]; !queued {
		q.order = append(q.order, id)
	}
	q.latest[id] = op
	if !q.running {
		q.running = true
		q.idle = make(chan struct{})
		go q.drain(q.idle)
	}
}

func (q *recordQueue) drain(idle chan struct{}) {
	for {
		q.mu.Lock()
		if len(q.order) == 0 {
			q.running = false
			close(idle)
			q.mu.Unlock()
			return
		}
		id := q.order[0]
		q.order = q.order[1:]
		op := q.latest[id]
		delete(q.latest, id)
		q.mu.Unlock()
		op()
	}
}

// wait returns once the queue is empty and no call runs, or ctx ends.
func (q *recordQueue) wait(ctx context.Context) error {
	for {
		q.mu.Lock()
		running, idle := q.running, q.idle
		q.mu.Unlock()
		if !running {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
