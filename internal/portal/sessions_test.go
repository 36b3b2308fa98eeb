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
	r.Bind(ctxA, one, "a", end("a"))
	r.Bind(ctxA, one, "a", end("a")) // a second log in on the same session replaces the first
	r.Bind(ctxB, one, "b", end("b"))
	r.Bind(ctxB, two, "c", end("c"))
	if n := r.Count(1); n != 2 {
		t.Fatalf("client 1 has %d sessions, want 2", n)
	}
	if n := r.End(1, "b", ""); n != 1 || ended["a"] != 1 || ended["b"] != 0 || ended["c"] != 0 {
		t.Fatalf("End(1, except b) = %d, ended %v", n, ended)
	}
	cancelA()
	r.Bind(ctxB, one, "b", end("b"))
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
	r.Bind(ctx, old, "laptop", end("laptop"))
	r.Bind(ctx, old, "phone", end("phone"))
	r.Bind(ctx, changed, "tablet", end("tablet")) // logged in with the new password
	if n := r.End(1, "phone", Credential(changed)); n != 1 || !slices.Equal(ended, []string{"laptop"}) {
		t.Fatalf("ended %d: %v; want the laptop only", n, ended)
	}
}

type recorded struct {
	mu  sync.Mutex
	ops []string
}

func (r *recorded) SessionBound(id string, _ uint64, _ time.Time) { r.add("+" + id) }
func (r *recorded) SessionGone(id string)                         { r.add("-" + id) }
func (r *recorded) add(op string)                                 { r.mu.Lock(); r.ops = append(r.ops, op); r.mu.Unlock() }
func (r *recorded) get() []string                                 { r.mu.Lock(); defer r.mu.Unlock(); return slices.Clone(r.ops) }

// TestSessionsRecordInOrder: the database hears of each session bound
// before it hears of it gone, even for a session whose context ends as it
// is bound, one logged out, and one ended.
func TestSessionsRecordInOrder(t *testing.T) {
	rec := &recorded{}
	r := NewSessions(time.Now, rec)
	c := &store.Client{ID: 7, PasswordHash: "h"}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	r.Bind(done, c, "gone-at-once", func() {})
	r.Bind(context.Background(), c, "ended", func() {})
	r.Bind(context.Background(), c, "logged-out", func() {})
	r.Unbind(7, "logged-out")
	r.End(7, "", "")
	ids := []string{"gone-at-once", "ended", "logged-out"}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.get()) < 2*len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("recorded %v, want each of %v bound then gone", rec.get(), ids)
		}
		time.Sleep(time.Millisecond)
	}
	ops := rec.get()
	for _, id := range ids {
		bound, gone := slices.Index(ops, "+"+id), slices.Index(ops, "-"+id)
		if bound < 0 || gone < bound {
			t.Errorf("%s: recorded %v, want it bound, then gone", id, ops)
		}
	}
}
