package portal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
)

// staffSession binds a staff session of a as the server does for a console
// or a command, and returns a channel closed once it is ended.
func staffSession(env *portaltest.Env, a portal.Actor, id string) <-chan struct{} {
	ended := make(chan struct{})
	env.Service.BindStaffSession(context.Background(), a, id, func() { close(ended) })
	return ended
}

func isEnded(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestRemovingStaffEndsTheirSessions: removing a key ends the consoles and
// commands open with it, at once, and no one else's; removing the member
// ends those of every key of theirs; a session that binds after its key
// went ends as it binds.
func TestRemovingStaffEndsTheirSessions(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	add := func(name, role string) portal.Actor {
		st, err := env.Service.AddStaff(ctx, env.Admin(), name, role, testKey(t))
		if err != nil {
			t.Fatal(err)
		}
		return portal.StaffActor(st, "10.0.0.9:22")
	}
	keeper := add("keeper", vocab.RoleAdmin)
	laptop, desk := add("sam", vocab.RoleSupport), add("sam", vocab.RoleSupport)
	console, command := staffSession(env, laptop, "laptop-console"), staffSession(env, laptop, "laptop-import")
	atDesk, keepers := staffSession(env, desk, "desk"), staffSession(env, keeper, "keeper")

	if err := env.Service.RemoveStaffKey(ctx, keeper, laptop.Key); err != nil {
		t.Fatal(err)
	}
	if !isEnded(console) || !isEnded(command) {
		t.Fatal("the sessions of a removed key go on")
	}
	if isEnded(atDesk) || isEnded(keepers) {
		t.Fatal("removing one key ended the sessions of other keys")
	}
	if err := env.Service.RemoveStaff(ctx, keeper, "sam"); err != nil {
		t.Fatal(err)
	}
	if !isEnded(atDesk) {
		t.Fatal("the session of a removed member goes on")
	}
	if isEnded(keepers) {
		t.Fatal("removing a member ended another's session")
	}
	if late := staffSession(env, desk, "late"); !isEnded(late) {
		t.Fatal("a session bound after its key was removed goes on")
	}
}

// TestRemovingAStaffKeyReachesEveryInstance: a key removed on one instance
// ends the sessions open with it on another within seconds.
func TestRemovingAStaffKeyReachesEveryInstance(t *testing.T) {
	severalInstances(t)
	a := portaltest.New(t)
	b := a.Another(t)
	runInstance(t, a)
	runInstance(t, b)
	ctx := context.Background()
	st, err := a.Service.AddStaff(ctx, a.Admin(), "sam", vocab.RoleSupport, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	ended := staffSession(b, portal.StaffActor(st, "10.0.0.9:22"), "on-b")
	if err := a.Service.RemoveStaffKey(ctx, a.Admin(), st.Fingerprint); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("a removed key's session on another instance goes on")
	}
}

// TestImportStopsWhenItsKeyIsRemoved: a key removed while its import runs
// commits no further batch; the import stops saying why and what stays.
func TestImportStopsWhenItsKeyIsRemoved(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	keeper, err := env.Service.AddStaff(ctx, env.Admin(), "keeper", vocab.RoleAdmin, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := env.Service.AddStaff(ctx, env.Admin(), "bob", vocab.RoleAdmin, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	bob := portal.StaffActor(st, "10.0.0.9:22")
	var csv strings.Builder
	const rows = 45_000 // three batches
	for i := range rows {
		fmt.Fprintf(&csv, "c%d@example.com,Client %d\n", i, i)
	}
	removed := false
	rep, err := env.Service.ImportClients(ctx, bob, strings.NewReader(csv.String()), portal.ImportOptions{
		Progress: func(p portal.ImportProgress) {
			if p.Added > 0 && !removed {
				removed = true
				if err := env.Service.RemoveStaffKey(ctx, portal.StaffActor(keeper, ""), st.Fingerprint); err != nil {
					t.Error(err)
				}
			}
		},
	})
	if refusalKey(t, err) != "error.import.revoked" {
		t.Fatalf("err = %v", err)
	}
	msg := portal.Message(env.Catalog.Printer("en"), err)
	if rep.Added != 20_000 || !strings.Contains(msg, "The 20000 clients added before it stopped stay") {
		t.Fatalf("added %d; %q", rep.Added, msg)
	}
	if n, err := env.Store.CountClients(ctx, ""); err != nil || n != 20_000 {
		t.Fatalf("%d clients stored (%v), want the first batch's 20000", n, err)
	}
}
