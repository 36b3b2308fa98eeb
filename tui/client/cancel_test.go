package client

import (
	"context"
	"errors"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/uitest"
)

// holdDatabase takes every connection of the store's pool until the test
// ends, so that any portal call waits for one and its context is its only
// way out. Transactions are immediate: one holds the write lock, and the
// others each hold a connection while they wait for that lock.
func holdDatabase(t *testing.T, env *portaltest.Env) {
	t.Helper()
	const poolSize = 8 // store.Open's SetMaxOpenConns
	release := make(chan struct{})
	entered := make(chan struct{}, poolSize)
	done := make(chan struct{}, poolSize)
	hold := func() {
		defer func() { done <- struct{}{} }()
		_ = env.Store.Tx(context.Background(), func(*store.Store) error {
			entered <- struct{}{}
			<-release
			return nil
		})
	}
	go hold()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("could not take the write lock")
	}
	for range poolSize - 1 {
		go hold()
	}
	// The waiters have no signal of their own for "waiting"; the test
	// below fails, rather than passes, if they are not in place yet.
	time.Sleep(300 * time.Millisecond)
	t.Cleanup(func() {
		close(release)
		for range poolSize {
			<-done
		}
	})
}

func TestCancelledSessionEndsCalls(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.Press("l")
	h.Fill(annEmail)
	h.Type(portaltest.StrongPassword)
	_, submit := h.m.Update(uitest.Key("enter"))
	welcome := newWelcome(h.m.d, "").Init()

	holdDatabase(t, env)
	msgs := make(chan tea.Msg, 2)
	go func() { msgs <- runAll(submit) }()
	go func() { msgs <- welcome() }()

	// Both calls wait on the database; neither may answer yet.
	select {
	case msg := <-msgs:
		t.Fatalf("a call returned while the database was held: %#v", msg)
	case <-time.After(100 * time.Millisecond):
	}
	h.cancel() // the SSH session ends
	for range 2 {
		select {
		case msg := <-msgs:
			switch msg := msg.(type) {
			case doneMsg:
				if !errors.Is(msg.err, context.Canceled) {
					t.Errorf("log in ended with %v, want context.Canceled", msg.err)
				}
			case signUpStateMsg:
				if msg.on {
					t.Error("sign-up shown after a failed check")
				}
			default:
				t.Errorf("unexpected %#v", msg)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a call kept waiting after the session ended")
		}
	}
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
		case doneMsg:
			found = msg
		}
	}
	return found
}
