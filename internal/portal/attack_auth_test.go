package portal_test

// Authentication attacks that need an injected clock (issue 6, item 1);
// the rest of the suite runs over SSH in cmd/portal/attack_auth_test.go.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
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
	clk := newClock()
	env := portaltest.New(t, portal.WithClock(clk.now))
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	tries := 0
	try := func(password string) (*store.Client, error) {
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
		until := clk.now().Add(wait).Format("2006-01-02 15:04 UTC")
		if body := locks[i].Body; !strings.Contains(body, fmt.Sprintf("%d times", 5+i)) || !strings.Contains(body, "until "+until) {
			t.Fatalf("lock %d should last %v, until %s:\n%s", i+1, wait, until, body)
		}
		clk.add(wait - time.Second)
		if _, err := try(strong); refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("right password a second before lock %d (%v) ends: %v", i+1, wait, err)
		}
		wrong("during the lock")
		clk.add(2 * time.Second)
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
	clk := newClock()
	env := portaltest.New(t, portal.WithClock(clk.now))
	ctx := context.Background()
	env.AddActiveClient(t, "zoe@x.com", "Zoe")
	start := clk.now()
	sprayer := func(port int) portal.Actor { return guest(fmt.Sprintf("203.0.113.7:%d", port)) }
	for i := range 30 {
		if i == 15 {
			clk.add(5 * time.Minute)
		}
		_, err := env.Service.LogIn(ctx, sprayer(1000+i), fmt.Sprintf("user%02d@x.com", i), "spring rain on the window 2026")
		if refusalKey(t, err) != "error.login.failed" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// Past the limit: the right password of an account never tried.
	for i := range 5 {
		clk.add(time.Minute - time.Second)
		if _, err := env.Service.LogIn(ctx, sprayer(2000+i), "zoe@x.com", strong); refusalKey(t, err) != "error.rate_limited" {
			t.Fatalf("attempt %d past the limit: %v", 31+i, err)
		}
	}
	// Ten minutes after the first fifteen, room again for a few.
	clk.add(start.Add(10*time.Minute + time.Second).Sub(clk.now()))
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
	clk := newClock()
	env := portaltest.New(t, portal.WithClock(clk.now))
	ctx := context.Background()
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	token := portaltest.TokenIn(t, env.LastMail(t, "ann@x.com", portal.MailInvitation).Body)
	clk.add(24*time.Hour - time.Second)
	if c, err := env.Service.CheckInvitation(ctx, token); err != nil || c.Name != "Ann" {
		t.Fatalf("a second before 24 hours: %v %v", c, err)
	}
	clk.add(2 * time.Second)
	if _, err := env.Service.CheckInvitation(ctx, token); refusalKey(t, err) != "error.invitation.expired" {
		t.Fatalf("a second after 24 hours, checked: %v", err)
	}
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), token, strong, strong); refusalKey(t, err) != "error.invitation.expired" {
		t.Fatalf("a second after 24 hours, accepted: %v", err)
	}
	if c, _ := env.Store.ClientByEmail(ctx, "ann@x.com"); c.Status != store.StatusInvited || c.PasswordHash != "" {
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
