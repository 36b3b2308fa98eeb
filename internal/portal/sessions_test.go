package portal

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/store"
)

func TestSessionsEndOthersAndForgetEnded(t *testing.T) {
	r := NewSessions(time.Now, nil)
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	ended := map[string]int{}
	end := func(id string) func() { return func() { ended[id]++ } }
	one, two := &store.Client{ID: 1, PasswordHash: "h1"}, &store.Client{ID: 2, PasswordHash: "h2"}
	r.Bind(ctxA, clientView(one), "a", end("a"))
	r.Bind(ctxA, clientView(one), "a", end("a")) // a second log in on the same session replaces the first
	r.Bind(ctxB, clientView(one), "b", end("b"))
	r.Bind(ctxB, clientView(two), "c", end("c"))
	if n := r.Count(1); n != 2 {
		t.Fatalf("client 1 has %d sessions, want 2", n)
	}
	if n := r.End(1, "b", ""); n != 1 || ended["a"] != 1 || ended["b"] != 0 || ended["c"] != 0 {
		t.Fatalf("End(1, except b) = %d, ended %v", n, ended)
	}
	cancelA()
	r.Bind(ctxB, clientView(one), "b", end("b"))
	cancelB()
	deadline := time.Now().Add(time.Second)
	for r.Count(1)+r.Count(2) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sessions whose context ended are still bound: %d", r.Count(1)+r.Count(2))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPasswordChangeKeepsSessionsOfTheNewPassword: ending the sessions of
// a changed password spares those logged in with the new one (a client
// who logs in again at once, on another instance maybe) and ends those of
// the old, whatever the clocks say.
func TestPasswordChangeKeepsSessionsOfTheNewPassword(t *testing.T) {
	r := NewSessions(time.Now, nil)
	ctx := context.Background()
	var ended []string
	end := func(id string) func() { return func() { ended = append(ended, id) } }
	old := &store.Client{ID: 1, PasswordHash: "old"}
	changed := &store.Client{ID: 1, PasswordHash: "new"}
	r.Bind(ctx, clientView(old), "laptop", end("laptop"))
	r.Bind(ctx, clientView(old), "phone", end("phone"))
	r.Bind(ctx, clientView(changed), "tablet", end("tablet")) // logged in with the new password
	if n := r.End(1, "phone", Credential(changed)); n != 1 || !slices.Equal(ended, []string{"laptop"}) {
		t.Fatalf("ended %d: %v; want the laptop only", n, ended)
	}
}

type recorded struct {
	mu  sync.Mutex
	ops []string
}

func (r *recorded) SessionBound(id string, _ uint64, _ string, _ int64, _ time.Time) { r.add("+" + id) }
func (r *recorded) SessionGone(id string)                                            { r.add("-" + id) }
func (r *recorded) add(op string)                                                    { r.mu.Lock(); r.ops = append(r.ops, op); r.mu.Unlock() }
func (r *recorded) get() []string                                                    { r.mu.Lock(); defer r.mu.Unlock(); return slices.Clone(r.ops) }

// TestSessionsRecordInOrder: the database ends up knowing every session
// gone, and never hears of one bound after it heard of it gone: for a
// session whose context ends as it is bound, one logged out, and one
// ended. (A session bound and gone before its turn may not be told bound
// at all.)
func TestSessionsRecordInOrder(t *testing.T) {
	rec := &recorded{}
	r := NewSessions(time.Now, rec)
	c := &store.Client{ID: 7, PasswordHash: "h"}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	r.Bind(done, clientView(c), "gone-at-once", func() {})
	r.Bind(context.Background(), clientView(c), "ended", func() {})
	r.Bind(context.Background(), clientView(c), "logged-out", func() {})
	r.Unbind(7, "logged-out")
	r.End(7, "", "")
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ops := rec.get()
	for _, id := range []string{"gone-at-once", "ended", "logged-out"} {
		gone := slices.Index(ops, "-"+id)
		if gone < 0 || slices.Index(ops[gone:], "+"+id) >= 0 {
			t.Errorf("%s: recorded %v, want it gone last", id, ops)
		}
	}
}

// TestSessionsRecordTheLastStateOnly: while the database is slow, a
// session bound and gone many times is one entry waiting, not many.
func TestSessionsRecordTheLastStateOnly(t *testing.T) {
	release := make(chan struct{})
	rec := &slowRecorder{release: release}
	r := NewSessions(time.Now, rec)
	c := &store.Client{ID: 7, PasswordHash: "h"}
	r.Bind(context.Background(), clientView(c), "first", func() {}) // the one the database is busy with
	for range 1000 {
		r.Bind(context.Background(), clientView(c), "again", func() {})
		r.Unbind(7, "again")
	}
	close(release)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.get(); !slices.Equal(got, []string{"+first", "-again"}) {
		t.Fatalf("recorded %v, want the first session bound and the other once, gone", got)
	}
}

// slowRecorder blocks its first call until release is closed.
type slowRecorder struct {
	recorded
	release chan struct{}
	once    sync.Once
}

func (r *slowRecorder) SessionBound(id string, c uint64, cred string, gen int64, at time.Time) {
	r.once.Do(func() { <-r.release })
	r.recorded.SessionBound(id, c, cred, gen, at)
}
