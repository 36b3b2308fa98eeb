package portal_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

func countKind(mails []store.OutboxMessage, kinds ...string) int {
	n := 0
	for _, m := range mails {
		for _, k := range kinds {
			if m.Kind == k {
				n++
			}
		}
	}
	return n
}

// TestSecurityMailsCappedPerRecipient asks for reset codes from many
// addresses, a minute and more apart (past every per-address and per-code
// limit): the mailbox gets ten security mails in a day, whatever their
// kind, and the forgot-password screen answers the same throughout.
func TestSecurityMailsCappedPerRecipient(t *testing.T) {
	ctx := context.Background()
	clock := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clock.Now))
	svc := env.Service
	ann := env.AddActiveClient(t, "ann@x.com", "Ann Smith")
	for i := 0; i < portal.MaxSecurityMailsPerDay+5; i++ {
		clock.Add(2 * time.Minute)
		if err := svc.RequestReset(ctx, guest(fmt.Sprintf("198.51.100.%d:4000", i+1)), "ANN@x.com"); err != nil {
			t.Fatalf("reset request %d: %v", i+1, err)
		}
	}
	if n := countKind(env.Mails(t, "ann@x.com"), portal.MailResetCode); n != portal.MaxSecurityMailsPerDay {
		t.Fatalf("%d reset codes mailed in half an hour, want %d", n, portal.MaxSecurityMailsPerDay)
	}
	// Another kind shares the day's count; the address in another case
	// is the same mailbox.
	other := *ann
	other.Email = " ANN@X.COM"
	err := env.Store.Tx(ctx, func(tx *store.Store) error {
		ok, err := svc.QueueSecurityMail(ctx, tx, portal.MailSignUpExists, &other, "", "ssh -t portal")
		if ok {
			t.Error("a sign-up-exists notice past the day's cap was queued")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A day after the first, one more goes.
	clock.Add(24*time.Hour - 28*time.Minute + time.Second) // the first was at 9:02
	if err := svc.RequestReset(ctx, guest("198.51.100.99:4000"), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	if n := countKind(env.Mails(t, "ann@x.com"), portal.MailResetCode); n != portal.MaxSecurityMailsPerDay+1 {
		t.Fatalf("a day later: %d reset codes, want %d", n, portal.MaxSecurityMailsPerDay+1)
	}
}

// TestSecurityMailCapHoldsUnderParallelAttempts queues from many
// transactions at once: exactly the cap is queued.
func TestSecurityMailCapHoldsUnderParallelAttempts(t *testing.T) {
	ctx := context.Background()
	env := portaltest.New(t)
	svc := env.Service
	c := env.AddActiveClient(t, "zoe@x.com", "Zoé Martin")
	var wg sync.WaitGroup
	var mu sync.Mutex
	queued := 0
	start := make(chan struct{})
	for i := 0; i < 3*portal.MaxSecurityMailsPerDay; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := env.Store.Tx(ctx, func(tx *store.Store) error {
				ok, err := svc.QueueSecurityMail(ctx, tx, portal.MailAccountLocked, c, c.Name, 5, "later", "ssh -t portal")
				if err == nil && ok {
					mu.Lock()
					queued++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := countKind(env.Mails(t, "zoe@x.com"), portal.MailAccountLocked); n != portal.MaxSecurityMailsPerDay {
		t.Fatalf("%d lock notices queued at once, want %d", n, portal.MaxSecurityMailsPerDay)
	}
}

// TestNoTypedNameInMailToAnUnverifiedAddress signs up with someone else's
// address and a name that is a message of its own: no mail to that
// address, before it is verified, carries what was typed, whether the
// verification code, the notice of a second sign-up or the notice of a
// TestNoTypedNameInMailToAnUnverifiedAddress: sign-ups with names that
// are messages to a stranger's inbox mail that address only their code,
// without the name, and, since an unverified sign-up is no account, log
// ins on it lock nothing and mail nothing.
func TestNoTypedNameInMailToAnUnverifiedAddress(t *testing.T) {
	ctx := context.Background()
	clock := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clock.Now))
	svc := env.Service
	if err := svc.SetSignUpMode(ctx, env.Admin(), vocab.SignUpOn); err != nil {
		t.Fatal(err)
	}
	const bait = "Urgent call 555 0100 about your refund"
	const bait2 = "Your account will be deleted visit evil example"
	for i, name := range []string{bait, bait2} {
		clock.Add(2 * time.Minute)
		in := portal.SignUpInput{Profile: portal.Profile{Name: name, Email: "victim@x.com"}, Password: strong, Repeat: strong}
		if _, err := svc.SignUp(ctx, guest(fmt.Sprintf("203.0.113.%d:1", i+1)), in); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 6; i++ {
		_, _ = svc.LogIn(ctx, guest(fmt.Sprintf("203.0.113.%d:1", i+10)), "victim@x.com", "not the password at all "+fmt.Sprint(i))
	}
	mails := env.Mails(t, "victim@x.com")
	if n := countKind(mails, portal.MailVerifyCode); n != 2 || len(mails) != 2 {
		t.Fatalf("%d mails to the unverified address, %d of them codes; want the 2 codes only", len(mails), n)
	}
	for _, m := range mails {
		for _, name := range []string{bait, bait2} {
			if strings.Contains(m.Subject+m.Body, name) {
				t.Errorf("the %s mail to an unverified address holds the typed name:\n%s", m.Kind, m.Body)
			}
		}
	}
}
