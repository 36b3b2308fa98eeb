package client

import (
	"context"
	"errors"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/ui"
)

// holdDatabase holds the store's write turn until the test ends: one
// transaction is open, so any call that writes waits, and its context is
// its only way out. (Reads do not wait for a writer: SQLite's WAL lets
// them run beside it, and the store's writers queue without holding a
// connection readers need.)
func holdDatabase(t *testing.T, env *portaltest.Env) {
	t.Helper()
	release := make(chan struct{})
	entered := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = env.Store.Tx(context.Background(), func(*store.Store) error {
			close(entered)
			<-release
			return nil
		})
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("could not take the write lock")
	}
	t.Cleanup(func() {
		close(release)
		<-done
	})
}

func TestCancelledSessionEndsCalls(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	submit := h.submitLogIn(annEmail, portaltest.StrongPassword)
	welcome := newWelcome(h.m.d, "").Init()

	holdDatabase(t, env)
	// The welcome screen's check only reads: it answers while a write is
	// held.
	select {
	case msg := <-runAsync(welcome):
		if m, ok := msg.(signUpStateMsg); !ok || m.on {
			t.Fatalf("welcome's check answered %#v, want sign-up off", msg)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a read waited for the write turn")
	}

	// The log in writes (it counts the attempt): it waits, and may not
	// answer yet.
	login := runAsync(func() tea.Msg { return runAll(submit) })
	select {
	case msg := <-login:
		t.Fatalf("the log in returned while the database was held: %#v", msg)
	case <-time.After(300 * time.Millisecond):
	}
	h.cancel() // the SSH session ends
	select {
	case msg := <-login:
		done, ok := msg.(ui.Result[*portal.Client])
		if !ok || !errors.Is(done.Err, context.Canceled) {
			t.Errorf("log in ended with %#v, want context.Canceled", msg)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the log in kept waiting after the session ended")
	}
}

func runAsync(cmd tea.Cmd) <-chan tea.Msg {
	out := make(chan tea.Msg, 1)
	go func() { out <- cmd() }()
	return out
}

// runAll runs cmd, and the commands of a batch, and returns the first
// message that is neither a batch nor nil nor a spinner's.
func runAll(cmd tea.Cmd) tea.Msg {
	queue := []tea.Cmd{cmd}
	var found tea.Msg
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case ui.Result[*portal.Client]:
			found = msg
		}
	}
	return found
}
