package portal_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/mail"
	"github.com/clientportal/portal/internal/store/dbtest"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
)

// runInstance runs e's instance loop until the test ends.
func runInstance(t *testing.T, e *portaltest.Env) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Service.StartInstance(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); e.Service.RunInstance(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// severalInstances skips on the SQLite run: one process serves a SQLite
// file (a starting instance takes the others for dead), so several
// instances are PostgreSQL's.
func severalInstances(t *testing.T) {
	t.Helper()
	dbtest.RequirePostgres(t)
}

// TestEndingSessionsReachesEveryInstance: a disable, an end-sessions and a
// password reset made on one instance end the client's sessions on
// another within seconds; a reset keeps the session that made it and one
// logged in with the new password, even before the other instance hears of
// the reset. Every instance counts the sessions of all.
func TestEndingSessionsReachesEveryInstance(t *testing.T) {
	severalInstances(t)
	a := portaltest.New(t)
	b := a.Another(t)
	runInstance(t, a)
	runInstance(t, b)
	ctx := context.Background()

	bind := func(env *portaltest.Env, c *portal.Client, id string) <-chan struct{} {
		ended := make(chan struct{})
		env.Service.BindSession(context.Background(), c, id, func() { close(ended) })
		return ended
	}
	// waitCount waits until env counts want live sessions of email: the
	// database hears of sessions a moment after they begin and end.
	waitCount := func(env *portaltest.Env, email string, want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			d, err := env.Service.ClientDetails(ctx, env.Admin(), email)
			if err != nil {
				t.Fatal(err)
			}
			if d.LiveSessions == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s counts %d live sessions of %s, want %d", env.Service.Instance(), d.LiveSessions, email, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
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
	onB := bind(b, ann, "ann-on-b")
	onA := bind(a, ann, "ann-on-a")
	waitCount(b, "ann@example.com", 2)
	if n, err := a.Service.EndSessions(ctx, a.Admin(), "ann@example.com"); err != nil || n != 2 {
		t.Fatalf("EndSessions on A = %d, %v; want the 2 on both instances", n, err)
	}
	waitEnded("end sessions", onB)
	<-onA
	waitCount(a, "ann@example.com", 0)
	waitCount(b, "ann@example.com", 0)

	bob := a.AddActiveClient(t, "bob@example.com", "Bob")
	bobOnB := bind(b, bob, "bob-on-b")
	if err := a.Service.DisableClient(ctx, a.Admin(), "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	waitEnded("disable", bobOnB)

	// A reset on B ends Cy's session on A but the one that reset, and not
	// one that logged in afresh after it.
	cy := a.AddActiveClient(t, "cy@example.com", "Cy")
	cyOld := bind(a, cy, "cy-old")
	if err := b.Service.RequestReset(ctx, portal.Guest("10.0.0.9:1", "cy-reset"), "cy@example.com"); err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, b.LastMail(t, "cy@example.com", portal.MailResetCode).Body)
	cyReset := bind(b, cy, "cy-reset")
	reset, err := b.Service.ResetPassword(ctx, portal.Guest("10.0.0.9:1", "cy-reset"), "cy@example.com", code, strong+"x", strong+"x")
	if err != nil {
		t.Fatal(err)
	}
	cyNew := bind(a, reset, "cy-new") // at once: A may not have read the reset yet
	waitEnded("reset", cyOld)
	time.Sleep(2 * time.Second) // two polls of A
	for name, ch := range map[string]<-chan struct{}{"the session that reset": cyReset, "a session logged in with the new password": cyNew} {
		select {
		case <-ch:
			t.Errorf("%s was ended", name)
		default:
		}
	}
}

// runMail runs a mail worker for e until the test ends, delivering into a
// directory of its own, and returns that directory.
func runMail(t *testing.T, e *portaltest.Env) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mail")
	sender, err := mail.NewDirSender(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := mail.NewWorker(e.Service.MailQueue(), sender, slog.New(slog.DiscardHandler), mail.WorkerOptions{Poll: 50 * time.Millisecond, Batch: 5})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return dir
}

// TestTwoInstancesUnderConcurrentWork: two instances on one database, 50
// clients signing up, verifying and logging in at once across them (each
// step on the instance the last one was not), the same email signed up on
// both at once, and two staff adding the same client at once on each:
// every account exactly once, every step's write kept, and every mail sent
// once, by one of the two mail workers.
func TestTwoInstancesUnderConcurrentWork(t *testing.T) {
	severalInstances(t)
	a := portaltest.New(t)
	b := a.Another(t)
	envs := []*portaltest.Env{a, b}
	runInstance(t, a)
	runInstance(t, b)
	mailDirs := []string{runMail(t, a), runMail(t, b)}
	// A worker may send a code before the test reads it from the outbox,
	// which then keeps no body: the file one of the workers wrote has it.
	ctx := context.Background()
	if err := a.Service.SetSignUpMode(ctx, a.Admin(), vocab.SignUpOn); err != nil {
		t.Fatal(err)
	}

	const clients = 50
	var wg sync.WaitGroup
	errs := make(chan error, 4*clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("client%02d@example.com", i)
			who := portal.Guest(fmt.Sprintf("10.1.%d.1:1", i), fmt.Sprintf("s%d", i))
			first, other := envs[i%2], envs[(i+1)%2]
			in := portal.SignUpInput{Profile: portal.Profile{Name: fmt.Sprintf("Client %d", i), Email: email}, Password: strong, Repeat: strong}
			ticket, err := first.Service.SignUp(ctx, who, in)
			if err != nil {
				errs <- fmt.Errorf("sign up %s: %w", email, err)
				return
			}
			code := portaltest.CodeIn(t, deliveredOrQueued(t, other, mailDirs, email, portal.MailVerifyCode))
			if _, err := other.Service.VerifyEmail(ctx, who, ticket, code); err != nil {
				errs <- fmt.Errorf("verify %s: %w", email, err)
				return
			}
			if _, err := first.Service.LogIn(ctx, who, email, strong); err != nil {
				errs <- fmt.Errorf("log in %s: %w", email, err)
			}
		}()
	}
	// The same email signed up on both instances at once, and the same
	// client added by a staff member on each at once.
	const pairs = 10
	added := make([]atomic.Int32, pairs)
	for i := range pairs {
		for j, e := range envs {
			wg.Add(2)
			go func() {
				defer wg.Done()
				in := portal.SignUpInput{Profile: portal.Profile{Name: "Twin", Email: fmt.Sprintf("twin%d@example.com", i)}, Password: strong, Repeat: strong}
				if _, err := e.Service.SignUp(ctx, portal.Guest(fmt.Sprintf("10.2.%d.%d:1", i, j), fmt.Sprintf("t%d-%d", i, j)), in); err != nil {
					errs <- fmt.Errorf("twin sign-up %d on %d: %w", i, j, err)
				}
			}()
			go func() {
				defer wg.Done()
				_, err := e.Service.AddClient(ctx, portal.System(fmt.Sprintf("staff-%d", j)), portal.NewClient{Name: "Added", Email: fmt.Sprintf("added%d@example.com", i)})
				switch {
				case err == nil:
					added[i].Add(1)
				case portal.AsError(err) == nil:
					errs <- fmt.Errorf("add client %d on %d: %w", i, j, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range pairs {
		if n := added[i].Load(); n != 1 {
			t.Errorf("added%d@example.com was added %d times by two staff at once, want 1", i, n)
		}
	}

	// Every account once, in the state its last step left it.
	all, err := a.Store.ListClients(ctx, vocab.ClientQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != clients+pairs {
		t.Fatalf("%d accounts, want %d", len(all), clients+pairs)
	}
	// The twins' sign-ups wait for their codes, one attempt each, and
	// hold no account.
	waiting, err := a.Service.PendingSignUps(ctx, a.Admin(), 0, 1000)
	if err != nil || len(waiting) != 2*pairs {
		t.Fatalf("%d sign-ups waiting (%v), want %d", len(waiting), err, 2*pairs)
	}
	for _, c := range all {
		want := vocab.StatusActive
		switch {
		case strings.HasPrefix(c.Email, "added"):
			want = vocab.StatusInvited
		}
		if c.Status != want || (want == vocab.StatusActive && c.LastLoginAt == nil) {
			t.Errorf("%s: status %s, last log in %v; want %s", c.Email, c.Status, c.LastLoginAt, want)
		}
	}

	// Every mail once: queued until both workers drain the outbox, then
	// each message's file in exactly one of the two mail directories.
	deadline := time.Now().Add(30 * time.Second)
	for {
		queued, err := a.Store.ListMail(ctx, vocab.OutboxQuery{State: vocab.MailQueued, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails still queued after 30 s", len(queued))
		}
		time.Sleep(50 * time.Millisecond)
	}
	sent, err := a.Store.ListMail(ctx, vocab.OutboxQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// A verification code each (50), a code and an "already signed up"
	// notice per twin pair, an invitation per added client.
	if want := clients + 3*pairs; len(sent) != want {
		t.Errorf("%d mails in the outbox, want %d", len(sent), want)
	}
	perWorker := make([]int, len(mailDirs))
	for _, m := range sent {
		found := 0
		for w, dir := range mailDirs {
			if _, err := os.Stat(filepath.Join(dir, mail.FileName(strconv.FormatUint(m.ID, 10)))); err == nil {
				found++
				perWorker[w]++
			}
		}
		if m.State != vocab.MailSent || found != 1 {
			t.Errorf("mail %d (%s to %s): state %s, delivered by %d workers; want sent by 1", m.ID, m.Kind, m.ToAddr, m.State, found)
		}
	}
	t.Logf("mails delivered per instance: %v", perWorker)
}

// deliveredOrQueued is the body of the last mail of kind to addr: from the
// outbox while it waits, else from the file a worker delivered it to.
func deliveredOrQueued(t *testing.T, e *portaltest.Env, mailDirs []string, addr, kind string) string {
	t.Helper()
	m := e.LastMail(t, addr, kind)
	if m.Body != "" {
		return m.Body
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, dir := range mailDirs {
			if raw, err := os.ReadFile(filepath.Join(dir, mail.FileName(strconv.FormatUint(m.ID, 10)))); err == nil {
				return string(raw)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %d to %s was sent but no worker's file holds it", m.ID, addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestALogInOvertakenByAChangeEnds: a log in whose password was checked
// just before a disable or a reset committed is bound after every
// instance was told to end the client's sessions; it must end all the
// same.
func TestALogInOvertakenByAChangeEnds(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(email string)
	}{
		{"disabled", func(email string) {
			if err := env.Service.DisableClient(ctx, env.Admin(), email); err != nil {
				t.Fatal(err)
			}
		}},
		{"password reset", func(email string) {
			who := portal.Guest("10.0.0.8:1", "resetter")
			if err := env.Service.RequestReset(ctx, who, email); err != nil {
				t.Fatal(err)
			}
			code := portaltest.CodeIn(t, env.LastMail(t, email, portal.MailResetCode).Body)
			if _, err := env.Service.ResetPassword(ctx, who, email, code, strong+"new", strong+"new"); err != nil {
				t.Fatal(err)
			}
		}},
		// `clients end-sessions` between RecordLogin and the binding: it
		// found no session to end, and changed neither status nor
		// password.
		{"sessions ended", func(email string) {
			if _, err := env.Service.EndSessions(ctx, env.Admin(), email); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			email := strings.ReplaceAll(tc.name, " ", "") + "@example.com"
			seen := env.AddActiveClient(t, email, "Late")
			tc.change(email) // commits after the log in read the client
			ended := make(chan struct{})
			env.Service.BindSession(ctx, seen, "late-"+tc.name, func() { close(ended) })
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("a session logged in before the change outlived it")
			}
		})
	}
	// A session bound with the current state is kept.
	kept := env.AddActiveClient(t, "kept@example.com", "Kept")
	ended := make(chan struct{})
	env.BindSession(t, ctx, kept, "kept", func() { close(ended) })
	select {
	case <-ended:
		t.Fatal("a session of an active client with its current password was ended")
	case <-time.After(200 * time.Millisecond):
	}
}
