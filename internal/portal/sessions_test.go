package portal

import (
	"context"
	"testing"
	"time"
)

func TestSessionsEndOthersAndForgetEnded(t *testing.T) {
	r := NewSessions(time.Now, nil)
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	ended := map[string]int{}
	end := func(id string) func() { return func() { ended[id]++ } }
	r.Bind(ctxA, 1, "a", end("a"))
	r.Bind(ctxA, 1, "a", end("a")) // a second log in on the same session replaces the first
	r.Bind(ctxB, 1, "b", end("b"))
	r.Bind(ctxB, 2, "c", end("c"))
	if n := r.Count(1); n != 2 {
		t.Fatalf("client 1 has %d sessions, want 2", n)
	}
	if n := r.End(1, "b"); n != 1 || ended["a"] != 1 || ended["b"] != 0 || ended["c"] != 0 {
		t.Fatalf("End(1, except b) = %d, ended %v", n, ended)
	}
	cancelA()
	r.Bind(ctxB, 1, "b", end("b"))
	cancelB()
	deadline := time.Now().Add(time.Second)
	for r.Count(1)+r.Count(2) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sessions whose context ended are still bound: %d", r.Count(1)+r.Count(2))
		}
		time.Sleep(time.Millisecond)
	}
}
