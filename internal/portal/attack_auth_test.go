package portal_test

// Authentication attacks that need an injected clock (issue 6, item 1; issue 14, items 1 and 9);
// the rest of the suite runs over SSH in cmd/portal/attack_auth_test.go.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// authAtkLocks are the account-locked mails to addr, oldest first.
func authAtkLocks(t *testing.T, env *portaltest.Env, addr string) []store.OutboxMessage {
	t.Helper()
	var locks []store.OutboxMessage
	for _, m := range env.Mails(t, addr) {
		if m.Kind == portal.MailAccountLocked {
			locks = append(locks, m)
		}
	}
	return locks
}

// TestAuthAttackLockoutDoubles: a guesser who waits out each lock and
// tries again. Five failures in a row lock the account for 15 minutes;
// each failure after a lock ends doubles the wait, up to a day. During
// every wait the right password is refused like a wrong one and does not
// lengthen it; a second after it, a guess is checked again (its failure
// starts the next, longer lock and mails the owner). Once the last wait is
// over, the right password logs in and the count starts again.
func TestAuthAttackLockoutDoubles(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	tries := 0
	try := func(password string) (*portal.Client, error) {
		// A new address each time: this is about the account's wait,
		// not the per-address limit.
		tries++
		return env.Service.LogIn(ctx, guest(fmt.Sprintf("10.9.%d.%d:4000", tries/250, tries%250)), "ann@x.com", password)
	}
	wrong := func(when string) {
		t.Helper()
		if _, err := try("not the password at all"); refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("wrong password %s: %v", when, err)
		}
	}
	for range 5 {
		wrong("before the lock")
	}
	waits := []int{15, 30, 60, 120, 240, 480, 960, 1440, 1440} // minutes
	for i, minutes := range waits {
		wait := time.Duration(minutes) * time.Minute
		locks := authAtkLocks(t, env, "ann@x.com")
		if len(locks) != i+1 {
			t.Fatalf("after lock %d: %d lock mails", i+1, len(locks))
		}
		until := clk.Now().Add(wait).Format("2006-01-02 15:04 UTC")
		if body := locks[i].Body; !strings.Contains(body, fmt.Sprintf("%d times", 5+i)) || !strings.Contains(body, "until "+until) {
			t.Fatalf("lock %d should last %v, until %s:\n%s", i+1, wait, until, body)
		}
		clk.Add(wait - time.Second)
		if _, err := try(strong); refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("right password a second before lock %d (%v) ends: %v", i+1, wait, err)
		}
		wrong("during the lock")
		clk.Add(2 * time.Second)
		if i == len(waits)-1 {
			break
		}
		wrong("after the lock") // checked, so it counts and locks again
	}
	if n := len(authAtkLocks(t, env, "ann@x.com")); n != len(waits) {
		t.Fatalf("%d lock mails, want %d: tries during a lock must not count", n, len(waits))
	}
	c, err := try(strong)
	if err != nil || c.Name != "Ann" {
		t.Fatalf("right password after the last wait: %v %v", c, err)
	}
	// The count starts again: four failures do not lock.
	for range 4 {
		wrong("after a log in")
	}
	if _, err := try(strong); err != nil {
		t.Fatalf("four failures after a log in locked the account: %v", err)
	}
	t.Logf("lockout: %d log in attempts; waits %v minutes, each held to the second", tries, waits)
}

// TestAuthAttackSprayLimitWindow: the per-address limit is a sliding ten
// minutes. An address past it stays refused, whatever it tries, even the
// right password of an account it never tried, until enough of its
// attempts are ten minutes old.
func TestAuthAttackSprayLimitWindow(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	env.AddActiveClient(t, "zoe@x.com", "Zoe")
	start := clk.Now()
	sprayer := func(port int) portal.Actor { return guest(fmt.Sprintf("203.0.113.7:%d", port)) }
	for i := range 30 {
		if i == 15 {
			clk.Add(5 * time.Minute)
		}
		_, err := env.Service.LogIn(ctx, sprayer(1000+i), fmt.Sprintf("user%02d@x.com", i), "spring rain on the window 2026")
		if refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// Past the limit: the right password of an account never tried.
	for i := range 5 {
		clk.Add(time.Minute - time.Second)
		if _, err := env.Service.LogIn(ctx, sprayer(2000+i), "zoe@x.com", strong); refusalKey(t, err) != "error.rate_limited" {
			t.Fatalf("attempt %d past the limit: %v", 31+i, err)
		}
	}
	// Ten minutes after the first fifteen, room again for a few.
	clk.Add(start.Add(10*time.Minute + time.Second).Sub(clk.Now()))
	if c, err := env.Service.LogIn(ctx, sprayer(3000), "zoe@x.com", strong); err != nil || c.Name != "Zoe" {
		t.Fatalf("once the first attempts are ten minutes old: %v %v", c, err)
	}
}

// TestAuthAttackInvitationExpiresOnTheDot: an invitation works until its
// 24 hours are over and not a second after, by the user name or typed.
// (Single use, revocation by a newer one and expiry after 25 hours:
// TestInvitationSingleUseExpiryAndResend; end to end:
// TestAuthAttackInvitationTokens in cmd/portal.)
func TestAuthAttackInvitationExpiresOnTheDot(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	token := portaltest.TokenIn(t, env.LastMail(t, "ann@x.com", portal.MailInvitation).Body)
	clk.Add(24*time.Hour - time.Second)
	if c, err := env.Service.CheckInvitation(ctx, token); err != nil || c.Name != "Ann" {
		t.Fatalf("a second before 24 hours: %v %v", c, err)
	}
	clk.Add(2 * time.Second)
	if _, err := env.Service.CheckInvitation(ctx, token); refusalKey(t, err) != "error.invitation.expired" {
		t.Fatalf("a second after 24 hours, checked: %v", err)
	}
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), token, strong, strong); refusalKey(t, err) != "error.invitation.expired" {
		t.Fatalf("a second after 24 hours, accepted: %v", err)
	}
	if c, _ := env.Store.ClientByEmail(ctx, "ann@x.com"); c.Status != vocab.StatusInvited || c.PasswordHash != "" {
		t.Fatalf("an expired invitation changed the client: %+v", c)
	}
}

// TestAuthAttackSprayFromOneIPv6Block: an IPv6 subscriber is given a whole
// /64 and can take a new address in it for every try, so the per-address
// limit counts an IPv6 /64 as one address; IPv4 addresses stay one each.
func TestAuthAttackSprayFromOneIPv6Block(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "zoe@x.com", "Zoe")
	for i := range 30 {
		a := guest(fmt.Sprintf("[2001:db8:1:2::%x]:4000", i+1))
		if _, err := env.Service.LogIn(ctx, a, fmt.Sprintf("user%02d@x.com", i), "spring rain on the window 2026"); refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := env.Service.LogIn(ctx, guest("[2001:db8:1:2:ffff:ffff:ffff:ffff]:4000"), "zoe@x.com", strong); refusalKey(t, err) != "error.rate_limited" {
		t.Fatalf("31st attempt from the same /64, from a new address in it: %v", err)
	}
	if _, err := env.Service.LogIn(ctx, guest("[2001:db8:1:3::1]:4000"), "zoe@x.com", strong); err != nil {
		t.Fatalf("the next /64: %v", err)
	}
	if _, err := env.Service.LogIn(ctx, guest("[::ffff:198.51.100.7]:4000"), "zoe@x.com", strong); err != nil {
		t.Fatalf("an IPv4 address written as IPv6: %v", err)
	}
}

// wrongPasswordChecks counts the failed log ins whose password was really
// checked (not refused on a lock) on the account.
func wrongPasswordChecks(t *testing.T, env *portaltest.Env, email, action string) int {
	t.Helper()
	events, err := env.Store.ListAudit(context.Background(), vocab.AuditQuery{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Subject == email && strings.HasPrefix(e.Detail, "wrong") {
			n++
		}
	}
	return n
}

// TestAuthAttackParallelBurstGetsFiveGuesses: the audit's attack. Twenty
// sessions from twenty addresses send wrong passwords at once; then the
// right one comes. No more than five of the burst are checked, the
// account is locked, the owner gets one mail, and the right password does
// not open the account during the lock.
func TestAuthAttackParallelBurstGetsFiveGuesses(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	const burst = 19
	start := make(chan struct{})
	errs := make(chan error, burst)
	for i := range burst {
		go func() {
			<-start
			_, err := env.Service.LogIn(ctx, guest(fmt.Sprintf("127.0.%d.%d:4000", i/200, 2+i%200)), "ann@x.com", fmt.Sprintf("wrong guess number %d", i))
			errs <- err
		}()
	}
	close(start)
	for range burst {
		if err := <-errs; refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("a wrong guess of the burst: %v", err)
		}
	}
	if _, err := env.Service.LogIn(ctx, guest("127.0.9.9:4000"), "ann@x.com", strong); refusalKey(t, err) != "error.login.failed" {
		t.Fatalf("right password after a burst of %d wrong ones: %v; want refused by the lock", burst, err)
	}
	if n := wrongPasswordChecks(t, env, "ann@x.com", "login.failure"); n != 5 {
		t.Fatalf("%d of %d parallel guesses were checked; want 5", n, burst)
	}
	if n := len(authAtkLocks(t, env, "ann@x.com")); n != 1 {
		t.Fatalf("%d lock mails for one burst; want 1", n)
	}
}

// TestAuthAttackParallelBurstWithTheRightPassword: the right password is in
// the burst. Whatever order the database sees them in, the owner gets at
// most one lock mail, and the right password opens the account only if it
// did so before the lock: checked before the lock and finished after, it
// opens nothing. Without it, at most five are checked; with it, the
// success starts the count again (five in a row), so at most four before
// it and five after.
func TestAuthAttackParallelBurstWithTheRightPassword(t *testing.T) {
	for round := range 4 {
		env := portaltest.New(t)
		ctx := context.Background()
		email := fmt.Sprintf("ann%d@x.com", round)
		env.AddActiveClient(t, email, "Ann")
		const burst = 20
		start := make(chan struct{})
		type result struct {
			right bool
			err   error
		}
		results := make(chan result, burst)
		for i := range burst {
			go func() {
				<-start
				pw, right := fmt.Sprintf("wrong guess number %d", i), i == burst/2
				if right {
					pw = strong
				}
				_, err := env.Service.LogIn(ctx, guest(fmt.Sprintf("127.1.%d.%d:4000", round, 2+i)), email, pw)
				results <- result{right, err}
			}()
		}
		close(start)
		opened := false
		for range burst {
			r := <-results
			if r.right && r.err == nil {
				opened = true
			} else if refusalKey(t, r.err) != "error.login.failed" {
				t.Fatalf("round %d: %v", round, r.err)
			}
		}
		wrong := wrongPasswordChecks(t, env, email, "login.failure")
		locks := len(authAtkLocks(t, env, email))
		if locks > 1 || (!opened && wrong > 5) || (opened && wrong > 9) {
			t.Fatalf("round %d: right password opened=%v, %d wrong guesses checked, %d lock mails", round, opened, wrong, locks)
		}
		if opened {
			success := auditIDs(t, env, "login.success", email)
			lockout := auditIDs(t, env, "login.lockout", email)
			if len(success) != 1 || (len(lockout) == 1 && lockout[0] < success[0]) {
				t.Fatalf("round %d: the right password opened a locked account (log in audit %v, lockout %v)", round, success, lockout)
			}
		}
		t.Logf("round %d: right password opened=%v, %d wrong guesses checked, %d lock mails", round, opened, wrong, locks)
	}
}

// auditIDs are the ids of the audit events of action on subject.
func auditIDs(t *testing.T, env *portaltest.Env, action, subject string) []uint64 {
	t.Helper()
	events, err := env.Store.ListAudit(context.Background(), vocab.AuditQuery{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, e := range events {
		if e.Subject == subject {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// TestAuthAttackChangePasswordGuesses: a session left open is a way to
// guess the password too: wrong current passwords count with failed log
// ins. After five the account is locked (one mail), the right current
// password is refused during the lock, and log in is refused as well.
func TestAuthAttackChangePasswordGuesses(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	c := env.AddActiveClient(t, "ann@x.com", "Ann")
	a := portaltest.ClientActor(c)
	a.RemoteAddr = "127.0.0.7:5000"
	next := "another long passphrase for ann"
	for i := range 12 {
		err := env.Service.ChangePassword(ctx, a, fmt.Sprintf("wrong current %d", i), next, next)
		if refusalKey(t, err) != "error.password.current_wrong" {
			t.Fatalf("wrong current password %d: %v", i, err)
		}
	}
	if n := wrongPasswordChecks(t, env, "ann@x.com", "password.change_refused"); n != 5 {
		t.Fatalf("%d wrong current passwords were checked; want 5", n)
	}
	if n := len(authAtkLocks(t, env, "ann@x.com")); n != 1 {
		t.Fatalf("%d lock mails; want 1", n)
	}
	if err := env.Service.ChangePassword(ctx, a, strong, next, next); refusalKey(t, err) != "error.password.current_wrong" {
		t.Fatalf("right current password during the lock: %v", err)
	}
	if _, err := env.Service.LogIn(ctx, guest("127.0.0.8:1"), "ann@x.com", strong); refusalKey(t, err) != "error.login.failed" {
		t.Fatalf("log in during a lock from change-password guesses: %v", err)
	}
}

// TestLogInAfterRehashKeepsTheSession: once the argon2 parameters are
// raised, a client's first log in stores a new hash. The client it returns
// holds that new hash, so the session bound with it is not taken for one
// whose password changed, and lives on.
func TestLogInAfterRehashKeepsTheSession(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	c := env.AddActiveClient(t, "ann@x.com", "Ann")
	weaker := portaltest.FastParams()
	weaker.Memory = 512
	old, err := auth.NewHasher(weaker, 1).Hash(ctx, strong)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.UpdateClient(ctx, c.ID, store.ClientUpdate{PasswordHash: &old}); err != nil {
		t.Fatal(err)
	}
	got, err := env.Service.LogIn(ctx, guest("127.0.0.9:1"), "ann@x.com", strong)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := env.Store.ClientByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.PasswordHash == old {
		t.Fatal("the log in did not rehash: the test needs weaker parameters than the service's")
	}
	if portal.LoginCredential(got) != portal.Credential(stored) {
		t.Fatalf("log in returned the old hash after a rehash: the session would be bound to a credential that no longer is the account's")
	}
	ended := make(chan struct{})
	env.BindSession(t, ctx, got, "sess-rehash", func() { close(ended) })
	env.WaitSessionsRecorded(t, c.ID)
	select {
	case <-ended:
		t.Fatal("the session of the log in that rehashed was ended")
	default:
	}
}

// TestRightPasswordNeverLocks: attempts are counted before their password
// is checked, and a right one ends the count even when no log in follows.
// A client waiting for approval who checks back six times with the right
// password is not locked once approved; a client whose new password is
// refused six times after the right current one can still change it.
func TestRightPasswordNeverLocks(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	awaitingSignUp(t, env, "wanda@x.com")
	for i := range 6 {
		if _, err := env.Service.LogIn(ctx, guest(fmt.Sprintf("127.0.3.%d:1", i+1)), "wanda@x.com", strong); refusalKey(t, err) != "error.login.awaiting" {
			t.Fatalf("log in %d while awaiting approval: %v", i, err)
		}
	}
	if err := env.Service.ApproveSignUp(ctx, env.Admin(), "wanda@x.com"); err != nil {
		t.Fatal(err)
	}
	c, err := env.Service.LogIn(ctx, guest("127.0.3.9:1"), "wanda@x.com", strong)
	if err != nil {
		t.Fatalf("log in once approved, after six right passwords while waiting: %v", err)
	}
	a := portaltest.ClientActor(c)
	a.RemoteAddr = "127.0.3.10:1"
	for i := range 6 {
		if err := env.Service.ChangePassword(ctx, a, strong, "short", "short"); portal.FieldOf(err) != portal.FieldPassword {
			t.Fatalf("weak new password %d: %v", i, err)
		}
	}
	next := "another long passphrase for wanda"
	if err := env.Service.ChangePassword(ctx, a, strong, next, next); err != nil {
		t.Fatalf("a good new password after six refused ones: %v", err)
	}
}
