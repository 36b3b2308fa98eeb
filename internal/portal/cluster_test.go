package portal_test

import (
	"context"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
)

// runInstance runs e's instance loop until the test ends.
func runInstance(t *testing.T, e *portaltest.Env) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Service.StartInstance(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Service.RunInstance(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("instance %s: %v", e.Service.Instance(), err)
		}
	})
}

// TestEndingSessionsReachesEveryInstance: a disable, an end-sessions and a
// password reset made on one instance end the client's sessions on
// another within seconds, and a session begun after the end is kept.
func TestEndingSessionsReachesEveryInstance(t *testing.T) {
	a := portaltest.New(t)
	b := a.Another(t)
	runInstance(t, a)
	runInstance(t, b)
	ctx := context.Background()

	bind := func(env *portaltest.Env, clientID uint64, id string) <-chan struct{} {
		ended := make(chan struct{})
		env.Service.Sessions().Bind(context.Background(), clientID, id, func() { close(ended) })
		return ended
	}
	waitEnded := func(what string, ended <-chan struct{}) {
		t.Helper()
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the session on the other instance is still live after 10 s", what)
		}
	}

	ann := a.AddActiveClient(t, "ann@example.com", "Ann")
	onB := bind(b, ann.ID, "ann-on-b")
	onA := bind(a, ann.ID, "ann-on-a")
	if n, err := a.Service.EndSessions(ctx, a.Admin(), "ann@example.com"); err != nil || n != 1 {
		t.Fatalf("EndSessions on A = %d, %v; want A's own 1 ended at once", n, err)
	}
	waitEnded("end sessions", onB)
	<-onA

	bob := a.AddActiveClient(t, "bob@example.com", "Bob")
	bobOnB := bind(b, bob.ID, "bob-on-b")
	if err := a.Service.DisableClient(ctx, a.Admin(), "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	waitEnded("disable", bobOnB)

	// A reset on B ends Cy's session on A but the one that reset, and not
	// one that logged in afresh after it.
	cy := a.AddActiveClient(t, "cy@example.com", "Cy")
	cyOld := bind(a, cy.ID, "cy-old")
	if err := b.Service.RequestReset(ctx, portal.Guest("10.0.0.9:1", "cy-reset"), "cy@example.com"); err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, b.LastMail(t, "cy@example.com", portal.MailResetCode).Body)
	cyReset := bind(b, cy.ID, "cy-reset")
	if _, err := b.Service.ResetPassword(ctx, portal.Guest("10.0.0.9:1", "cy-reset"), "cy@example.com", code, strong+"x", strong+"x"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	cyNew := bind(a, cy.ID, "cy-new")
	waitEnded("reset", cyOld)
	time.Sleep(2 * time.Second) // two polls of A
	for name, ch := range map[string]<-chan struct{}{"the session that reset": cyReset, "a session begun after the reset": cyNew} {
		select {
		case <-ch:
			t.Errorf("%s was ended", name)
		default:
		}
	}
}
