package portal_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

const strong = portaltest.StrongPassword

func refusalKey(t *testing.T, err error) string {
	t.Helper()
	pe := portal.AsError(err)
	if pe == nil {
		t.Fatalf("want a refusal, got %v", err)
	}
	return pe.Key
}

func guest(addr string) portal.Actor { return portal.Guest(addr, "sess-"+addr) }

// signUpOn lets clients sign up on env, without approval.
func signUpOn(t *testing.T, env *portaltest.Env) {
	t.Helper()
	if err := env.Service.SetSignUpMode(context.Background(), env.Admin(), vocab.SignUpOn); err != nil {
		t.Fatal(err)
	}
}

func TestAddClientValidation(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	long := strings.Repeat("a", 100_000)
	tests := []struct {
		name  string
		in    portal.NewClient
		field string
		key   string
	}{
		{"empty email", portal.NewClient{Name: "Ann"}, portal.FieldEmail, "error.email.required"},
		{"bad email", portal.NewClient{Email: "ann", Name: "Ann"}, portal.FieldEmail, "error.email.invalid"},
		{"display name", portal.NewClient{Email: "Ann <ann@x.com>", Name: "Ann"}, portal.FieldEmail, "error.email.invalid"},
		{"no dot domain", portal.NewClient{Email: "ann@localhost", Name: "Ann"}, portal.FieldEmail, "error.email.invalid"},
		{"huge email", portal.NewClient{Email: long + "@x.com", Name: "Ann"}, portal.FieldEmail, "error.email.invalid"},
		{"empty name", portal.NewClient{Email: "ann@x.com", Name: "  "}, portal.FieldName, "error.field.required"},
		{"escape in name", portal.NewClient{Email: "ann@x.com", Name: "Ann\x1b[31m"}, portal.FieldName, "error.field.bad_chars"},
		{"C1 in name", portal.NewClient{Email: "ann@x.com", Name: "Ann\u009b31m"}, portal.FieldName, "error.field.bad_chars"},
		{"bidi in company", portal.NewClient{Email: "ann@x.com", Name: "Ann", Company: "Acme\u202e"}, portal.FieldCompany, "error.field.bad_chars"},
		{"invalid utf8", portal.NewClient{Email: "ann@x.com", Name: "Ann\xff"}, portal.FieldName, "error.field.bad_chars"},
		{"huge name", portal.NewClient{Email: "ann@x.com", Name: long}, portal.FieldName, "error.field.too_long"},
		{"bad phone", portal.NewClient{Email: "ann@x.com", Name: "Ann", Phone: "call me"}, portal.FieldPhone, "error.phone.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Service.AddClient(ctx, env.Admin(), tt.in)
			if got := refusalKey(t, err); got != tt.key || portal.FieldOf(err) != tt.field {
				t.Fatalf("got %s on %q, want %s on %q", got, portal.FieldOf(err), tt.key, tt.field)
			}
		})
	}
	if n, _ := env.Store.CountClients(ctx, ""); n != 0 {
		t.Fatalf("refused input created %d clients", n)
	}
}

func TestAddClientQueuesInvitationAndRefusesDuplicate(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	c, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: " Ann@Example.com ", Name: "Ann Smith", Company: "Acme", Phone: "+1 555 010 0199"})
	if err != nil {
		t.Fatal(err)
	}
	// Stored, compared and mailed in one form: trimmed, lower case.
	if c.Status != vocab.StatusInvited || c.Email != "ann@example.com" || c.EmailNorm != "ann@example.com" {
		t.Fatalf("client = %+v", c)
	}
	mail := env.LastMail(t, "ann@example.com", portal.MailInvitation)
	if mail.ToAddr != "ann@example.com" {
		t.Errorf("invitation mailed to %q, want ann@example.com", mail.ToAddr)
	}
	for _, want := range []string{"Hello Ann Smith", "ssh -t -p 2222 invite-", "@portal.example.com", "ssh://portal.example.com:2222"} {
		if !strings.Contains(mail.Body, want) {
			t.Errorf("invitation mail lacks %q:\n%s", want, mail.Body)
		}
	}
	_, err = env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@EXAMPLE.com", Name: "Other"})
	if refusalKey(t, err) != "error.client.exists" {
		t.Fatalf("duplicate: %v", err)
	}
	msg := portal.Message(env.Catalog.Printer("en"), err)
	if !strings.Contains(msg, "Ann Smith") {
		t.Fatalf("duplicate message should name the existing client: %q", msg)
	}
}

func TestRolesAreEnforcedInTheDomain(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	support := portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport}
	client := env.AddActiveClient(t, "c@x.com", "Cee")
	clientActor := guest("1.2.3.4:5").AsClient(client)
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "inv@x.com", Name: "Inv"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(a portal.Actor) error
		// allowed lists who may: "admin", "support", "client".
		allowed string
	}{
		{"add client", func(a portal.Actor) error {
			_, err := env.Service.AddClient(ctx, a, portal.NewClient{Email: "n" + a.Role + a.Kind + "@x.com", Name: "N"})
			return err
		}, "admin"},
		{"resend invitation", func(a portal.Actor) error { return env.Service.ResendInvitation(ctx, a, "inv@x.com") }, "admin support"},
		{"list clients", func(a portal.Actor) error { _, err := env.Service.ListClients(ctx, a, vocab.ClientQuery{}); return err }, "admin support"},
		{"set sign-up", func(a portal.Actor) error { return env.Service.SetSignUpMode(ctx, a, vocab.SignUpOff) }, "admin"},
		{"list outbox", func(a portal.Actor) error { _, err := env.Service.ListOutbox(ctx, a, vocab.OutboxQuery{}); return err }, "admin support"},
		{"list staff", func(a portal.Actor) error { _, err := env.Service.ListStaff(ctx, a); return err }, "admin"},
	}
	actors := map[string]portal.Actor{"admin": env.Admin(), "support": support, "client": clientActor, "guest": guest("1.2.3.4:5")}
	for _, tt := range tests {
		for who, a := range actors {
			t.Run(tt.name+"/"+who, func(t *testing.T) {
				err := tt.call(a)
				if strings.Contains(tt.allowed, who) {
					if err != nil {
						t.Fatalf("%s should be allowed: %v", who, err)
					}
				} else if !errors.Is(err, portal.ErrForbidden) {
					t.Fatalf("%s should be refused, got %v", who, err)
				}
			})
		}
	}
}

func TestInvitationSingleUseExpiryAndResend(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	first := portaltest.TokenIn(t, env.LastMail(t, "ann@x.com", portal.MailInvitation).Body)
	if c, err := env.Service.CheckInvitation(ctx, first); err != nil || c.Name != "Ann" {
		t.Fatalf("check open invitation: %v, %v", c, err)
	}
	if err := env.Service.ResendInvitation(ctx, env.Admin(), "ANN@x.com"); err != nil {
		t.Fatal(err)
	}
	second := portaltest.TokenIn(t, env.LastMail(t, "ann@x.com", portal.MailInvitation).Body)
	if second == first {
		t.Fatal("resend reused the token")
	}
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), first, strong, strong); refusalKey(t, err) != "error.invitation.revoked" {
		t.Fatalf("old token: %v", err)
	}
	// Bad passwords are refused without using the invitation.
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), second, "short", "short"); refusalKey(t, err) != "error.password.too_short" {
		t.Fatalf("short password: %v", err)
	}
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), second, strong, strong+"x"); refusalKey(t, err) != "error.password.mismatch" {
		t.Fatalf("mismatch: %v", err)
	}
	clk.Add(25 * time.Hour)
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), second, strong, strong); refusalKey(t, err) != "error.invitation.expired" {
		t.Fatalf("expired: %v", err)
	}
	if err := env.Service.ResendInvitation(ctx, env.Admin(), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	third := portaltest.TokenIn(t, env.LastMail(t, "ann@x.com", portal.MailInvitation).Body)
	c, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), strings.ToUpper(third), strong, strong)
	if err != nil || c.Status != vocab.StatusActive {
		t.Fatalf("accept: %v %v", c, err)
	}
	if _, err := env.Service.AcceptInvitation(ctx, guest("1.1.1.1:1"), third, strong, strong); refusalKey(t, err) != "error.invitation.used" {
		t.Fatalf("second use: %v", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("a", 100_000), "\x1b[2J", "invite-" + third} {
		if _, err := env.Service.CheckInvitation(ctx, bad); refusalKey(t, err) != "error.invitation.invalid" {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
}

func TestLogInSameAnswerAndLockout(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	wrongPw := func(addr string) error {
		_, err := env.Service.LogIn(ctx, guest(addr), "ann@x.com", "not the password at all")
		return err
	}
	_, unknown := env.Service.LogIn(ctx, guest("9.9.9.9:1"), "nobody@x.com", strong)
	if refusalKey(t, unknown) != "error.login.failed" || refusalKey(t, wrongPw("9.9.9.8:1")) != "error.login.failed" {
		t.Fatal("unknown email and wrong password must read the same")
	}
	for i := 0; i < 4; i++ {
		_ = wrongPw("10.0.0.1:1")
	}
	// Five failures in a row: the account is locked, the owner is told by
	// mail, and while it lasts even the right password reads as wrong, so
	// a guesser learns nothing from the lock.
	locked := env.LastMail(t, "ann@x.com", portal.MailAccountLocked)
	if !strings.Contains(locked.Body, "5 times") || !strings.Contains(locked.Body, "Forgot password") {
		t.Fatalf("lock notice:\n%s", locked.Body)
	}
	_, err := env.Service.LogIn(ctx, guest("10.0.0.2:1"), "ann@x.com", strong)
	if refusalKey(t, err) != "error.login.failed" {
		t.Fatalf("right password while locked: %v", err)
	}
	if refusalKey(t, wrongPw("10.0.0.3:1")) != "error.login.failed" {
		t.Fatal("wrong password while locked")
	}
	clk.Add(16 * time.Minute)
	c, err := env.Service.LogIn(ctx, guest("10.0.0.4:1"), "ANN@x.com", strong)
	if err != nil || c.Name != "Ann" {
		t.Fatalf("after the wait: %v %v", c, err)
	}
	events, _ := env.Store.ListAudit(ctx, vocab.AuditQuery{Action: "login.lockout"})
	if len(events) != 1 {
		t.Fatalf("lockout audited %d times", len(events))
	}
}

func TestLogInPerAddressLimit(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	for i := 0; i < 30; i++ {
		_, _ = env.Service.LogIn(ctx, guest("7.7.7.7:1"), "spray"+string(rune('a'+i%26))+"@x.com", "whatever password 123")
	}
	_, err := env.Service.LogIn(ctx, guest("7.7.7.7:2"), "ann@x.com", strong)
	if refusalKey(t, err) != "error.rate_limited" {
		t.Fatalf("31st attempt from one address: %v", err)
	}
	if _, err := env.Service.LogIn(ctx, guest("7.7.7.8:1"), "ann@x.com", strong); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestSignUpFlow(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	in := portal.SignUpInput{Profile: portal.Profile{Name: "Bob Brown", Email: "bob@x.com"}, Password: strong, Repeat: strong}
	if _, err := env.Service.SignUp(ctx, guest("1.1.1.1:1"), in); refusalKey(t, err) != "error.signup.off" {
		t.Fatalf("sign-up while off: %v", err)
	}
	signUpOn(t, env)
	ticket, err := env.Service.SignUp(ctx, guest("1.1.1.1:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	mail := env.LastMail(t, "bob@x.com", portal.MailVerifyCode)
	code := portaltest.CodeIn(t, mail.Body)
	if strings.Contains(mail.Body, "Bob") || strings.Contains(mail.Subject, "Bob") {
		t.Fatalf("the code mail to an address not yet verified holds the typed name:\n%s", mail.Body)
	}
	// No account exists before the code is entered: log in reads as for
	// any unknown email.
	if _, err := env.Service.LogIn(ctx, guest("1.1.1.1:1"), "bob@x.com", strong); refusalKey(t, err) != "error.login.failed" {
		t.Fatalf("log in before verifying: %v", err)
	}
	if _, err := env.Store.ClientByEmail(ctx, "bob@x.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unverified sign-up made an account: %v", err)
	}
	if _, err := env.Service.VerifyEmail(ctx, guest("1.1.1.1:1"), ticket, "ZZZZ-ZZZ1"); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := env.Service.VerifyEmail(ctx, guest("1.1.1.1:1"), "another ticket", code); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("the right code for another ticket: %v", err)
	}
	c, err := env.Service.VerifyEmail(ctx, guest("1.1.1.1:1"), ticket, strings.ToLower(strings.ReplaceAll(code, "-", "")))
	if err != nil || c.Status != vocab.StatusActive || c.Name != "Bob Brown" {
		t.Fatalf("verify: %v %v", c, err)
	}
	if _, err := env.Service.VerifyEmail(ctx, guest("1.1.1.1:1"), ticket, code); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("the code a second time: %v", err)
	}
	// Signing up again with the same email: same answer, a notice, nothing overwritten.
	again := portal.SignUpInput{Profile: portal.Profile{Name: "Mallory", Email: "BOB@x.com"}, Password: strong + " other", Repeat: strong + " other"}
	if _, err := env.Service.SignUp(ctx, guest("6.6.6.6:1"), again); err != nil {
		t.Fatalf("existing email must answer the same: %v", err)
	}
	env.LastMail(t, "bob@x.com", portal.MailSignUpExists)
	if _, err := env.Service.LogIn(ctx, guest("1.1.1.1:1"), "bob@x.com", strong); err != nil {
		t.Fatalf("original password must still work: %v", err)
	}
}

// TestSignUpPreHijack: the audit's attack. An attacker signs up first
// with the victim's address and a password of theirs; the victim signs up
// later, gets a code and enters it. The account the victim then uses has
// the victim's password and profile, and the attacker's password opens
// nothing; the attacker's attempt, its code never seen, can't be finished.
func TestSignUpPreHijack(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	signUpOn(t, env)
	attackerPw := "the attacker's chosen passphrase"
	evil := portal.SignUpInput{Profile: portal.Profile{Name: "Mallory", Email: "victim@x.com"}, Password: attackerPw, Repeat: attackerPw}
	attackerTicket, err := env.Service.SignUp(ctx, guest("127.0.0.66:1"), evil)
	if err != nil {
		t.Fatal(err)
	}
	// A new code for the attacker's attempt goes to the victim's inbox,
	// never to the attacker.
	env.LastMail(t, "victim@x.com", portal.MailVerifyCode)
	in := portal.SignUpInput{Profile: portal.Profile{Name: "Vic Tim", Email: "victim@x.com"}, Password: strong, Repeat: strong}
	ticket, err := env.Service.SignUp(ctx, guest("127.0.0.2:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, "victim@x.com", portal.MailVerifyCode).Body)
	c, err := env.Service.VerifyEmail(ctx, guest("127.0.0.2:1"), ticket, code)
	if err != nil || c.Name != "Vic Tim" {
		t.Fatalf("the victim verifies: %v %v", c, err)
	}
	if _, err := env.Service.LogIn(ctx, guest("127.0.0.66:1"), "victim@x.com", attackerPw); refusalKey(t, err) != "error.login.failed" {
		t.Fatalf("the attacker's password on the victim's account: %v", err)
	}
	if _, err := env.Service.LogIn(ctx, guest("127.0.0.2:1"), "victim@x.com", strong); err != nil {
		t.Fatalf("the victim's own password: %v", err)
	}
	// The victim's code for the attacker's attempt: that attempt ended
	// when the victim's was verified.
	if _, err := env.Service.VerifyEmail(ctx, guest("127.0.0.66:1"), attackerTicket, code); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("the attacker's attempt after the victim verified: %v", err)
	}
}

// TestSignUpIsNoOracle: before, a right password on a pending sign-up
// answered "not confirmed" while an existing account answered "wrong". Now
// the answers to log in are the same for an address with a waiting
// sign-up, one with an account (wrong password) and one with nothing.
func TestSignUpIsNoOracle(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	signUpOn(t, env)
	pw := "a passphrase chosen by the prober"
	if _, err := env.Service.SignUp(ctx, guest("127.0.0.3:1"), portal.SignUpInput{Profile: portal.Profile{Name: "P", Email: "probe@x.com"}, Password: pw, Repeat: pw}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, email := range []string{"probe@x.com", "ann@x.com", "nobody@x.com"} {
		_, err := env.Service.LogIn(ctx, guest(fmt.Sprintf("127.0.1.%d:1", i)), email, pw)
		keys = append(keys, refusalKey(t, err))
	}
	if keys[0] != keys[1] || keys[1] != keys[2] || keys[0] != "error.login.failed" {
		t.Fatalf("log in answers: waiting sign-up %q, account %q, nothing %q; want all error.login.failed", keys[0], keys[1], keys[2])
	}
}

// TestSignUpExpiresAndStaffRemoves: a sign-up's code stops working when
// the sign-up is a day old, and when staff remove it.
func TestSignUpExpiresAndStaffRemoves(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	signUpOn(t, env)
	in := portal.SignUpInput{Profile: portal.Profile{Name: "Bob", Email: "bob@x.com"}, Password: strong, Repeat: strong}
	first, err := env.Service.SignUp(ctx, guest("127.0.0.4:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := env.Service.SignUp(ctx, guest("127.0.0.5:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, "bob@x.com", portal.MailVerifyCode).Body)
	pending, err := env.Service.PendingSignUps(ctx, env.Admin(), 0, 10)
	if err != nil || len(pending) != 2 || pending[0].Email != "bob@x.com" {
		t.Fatalf("pending sign-ups: %+v %v", pending, err)
	}
	if _, err := env.Service.PendingSignUps(ctx, guest("127.0.0.4:1"), 0, 10); !errors.Is(err, portal.ErrForbidden) {
		t.Fatalf("a guest lists sign-ups: %v", err)
	}
	if err := env.Service.RemoveSignUp(ctx, env.Admin(), pending[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.VerifyEmail(ctx, guest("127.0.0.5:1"), second, code); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("a removed sign-up's code: %v", err)
	}
	if err := env.Service.RemoveSignUp(ctx, env.Admin(), pending[0].ID); refusalKey(t, err) != "error.signup.not_found" {
		t.Fatalf("removing it again: %v", err)
	}
	// The first attempt's code is asked for again a day later: gone.
	clk.Add(portal.SignUpTTL + time.Minute)
	if err := env.Service.ResendCode(ctx, guest("127.0.0.4:1"), first); err != nil {
		t.Fatal(err)
	}
	if n := len(env.Mails(t, "bob@x.com")); n != 2 {
		t.Fatalf("%d mails; a new code for an expired sign-up must mail none", n)
	}
	if err := env.Service.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if pending, err := env.Service.PendingSignUps(ctx, env.Admin(), 0, 10); err != nil || len(pending) != 0 {
		t.Fatalf("after a day: %+v %v", pending, err)
	}
}

// TestResendCodeOncePerMinute: a burst of requests for a new code, in
// parallel, mails one; a minute later, one more.
func TestResendCodeOncePerMinute(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	signUpOn(t, env)
	in := portal.SignUpInput{Profile: portal.Profile{Name: "Bob", Email: "bob@x.com"}, Password: strong, Repeat: strong}
	ticket, err := env.Service.SignUp(ctx, guest("127.0.0.4:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	burst := func() {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := env.Service.ResendCode(ctx, guest(fmt.Sprintf("127.0.2.%d:1", i+1)), ticket); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	burst()
	if n := len(env.Mails(t, "bob@x.com")); n != 1 {
		t.Fatalf("%d code mails within the first minute; want 1", n)
	}
	clk.Add(61 * time.Second)
	burst()
	if n := len(env.Mails(t, "bob@x.com")); n != 2 {
		t.Fatalf("%d code mails after a minute and a second burst; want 2", n)
	}
}

func TestWrongCodeSixTimes(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	if err := env.Service.RequestReset(ctx, guest("1.1.1.1:1"), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, "ann@x.com", portal.MailResetCode).Body)
	wrong := "ZZZZ-ZZZZ"
	if wrong == code {
		wrong = "YYYY-YYYY"
	}
	newPw := "a brand new passphrase for ann"
	keys := []string{}
	for i := 0; i < 6; i++ {
		_, err := env.Service.ResetPassword(ctx, guest("1.1.1.1:1"), "ann@x.com", wrong, newPw, newPw)
		keys = append(keys, refusalKey(t, err))
	}
	for i, k := range keys {
		if k != "error.code.wrong" {
			t.Fatalf("refusal %d = %s, want error.code.wrong every time", i+1, k)
		}
	}
	if _, err := env.Service.ResetPassword(ctx, guest("1.1.1.1:1"), "ann@x.com", code, newPw, newPw); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("right code after 5 wrong tries: %v", err)
	}
}

func TestResetEndsSessionsAndMailsNotice(t *testing.T) {
	clk := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clk.Now))
	ctx := context.Background()
	ann := env.AddActiveClient(t, "ann@x.com", "Ann")
	ended := make(chan string, 2)
	sessCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	env.BindSession(t, sessCtx, ann, "laptop", func() { ended <- "laptop" })
	// Unknown email: the same answer, no mail.
	if err := env.Service.RequestReset(ctx, guest("1.1.1.1:1"), "nobody@x.com"); err != nil {
		t.Fatal(err)
	}
	if len(env.Mails(t, "nobody@x.com")) != 0 {
		t.Fatal("mail sent to an unknown address")
	}
	if err := env.Service.RequestReset(ctx, guest("1.1.1.1:1"), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, "ann@x.com", portal.MailResetCode).Body)
	newPw := "a brand new passphrase for ann"
	// A refused password does not use up the code.
	if _, err := env.Service.ResetPassword(ctx, guest("1.1.1.1:1"), "ann@x.com", code, "ann", "ann"); refusalKey(t, err) != "error.password.too_short" {
		t.Fatalf("weak password: %v", err)
	}
	clk.Add(11 * time.Minute)
	if _, err := env.Service.ResetPassword(ctx, guest("1.1.1.1:1"), "ann@x.com", code, newPw, newPw); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("code after 11 minutes: %v", err)
	}
	clk.Add(2 * time.Minute)
	if err := env.Service.RequestReset(ctx, guest("1.1.1.1:1"), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	code = portaltest.CodeIn(t, env.LastMail(t, "ann@x.com", portal.MailResetCode).Body)
	if _, err := env.Service.ResetPassword(ctx, guest("1.1.1.1:1"), "ann@x.com", code, newPw, newPw); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Fatal("the other session was not ended")
	}
	env.LastMail(t, "ann@x.com", portal.MailPasswordReset)
	if _, err := env.Service.ResetPassword(ctx, guest("1.1.1.1:1"), "ann@x.com", code, newPw, newPw); refusalKey(t, err) != "error.code.wrong" {
		t.Fatalf("code used twice: %v", err)
	}
	if _, err := env.Service.LogIn(ctx, guest("1.1.1.2:1"), "ann@x.com", newPw); err != nil {
		t.Fatalf("log in with the new password: %v", err)
	}
}

func TestChangePasswordAndProfile(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	ann := env.AddActiveClient(t, "ann@x.com", "Ann")
	a := guest("1.1.1.1:1").AsClient(ann)
	newPw := "another long passphrase here"
	if err := env.Service.ChangePassword(ctx, a, "wrong current password", newPw, newPw); refusalKey(t, err) != "error.password.current_wrong" {
		t.Fatalf("wrong current: %v", err)
	}
	if err := env.Service.ChangePassword(ctx, a, strong, newPw, newPw); err != nil {
		t.Fatal(err)
	}
	env.LastMail(t, "ann@x.com", portal.MailPasswordSet)
	c, err := env.Service.UpdateProfile(ctx, a, portal.Profile{Name: "Ann Jones", Company: "Jones LLC", Phone: "+44 20 7946 0000"})
	if err != nil || c.Name != "Ann Jones" {
		t.Fatalf("update profile: %v %v", c, err)
	}
	if _, err := env.Service.UpdateProfile(ctx, a, portal.Profile{Name: ""}); refusalKey(t, err) != "error.field.required" {
		t.Fatalf("empty name: %v", err)
	}
}

func TestStaffLastAdmin(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ann@laptop"
	if _, err := env.Service.AddStaff(ctx, env.Admin(), "ann", vocab.RoleAdmin, key); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.AddStaff(ctx, env.Admin(), "bob", vocab.RoleAdmin, key); refusalKey(t, err) != "error.staff.key_exists" {
		t.Fatalf("same key twice: %v", err)
	}
	if err := env.Service.RemoveStaff(ctx, env.Admin(), "ann"); refusalKey(t, err) != "error.staff.last_admin" {
		t.Fatalf("remove last admin: %v", err)
	}
	for _, bad := range []string{"", "not a key", "ssh-ed25519 AAAA", strings.Repeat("x", 100_000)} {
		if _, err := env.Service.AddStaff(ctx, env.Admin(), "carl", vocab.RoleSupport, bad); portal.FieldOf(err) != portal.FieldKey {
			t.Fatalf("key %.20q: %v", bad, err)
		}
	}
}

func TestRefusalArgumentsAreSanitizedAndOutboxHidesBodies(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	err := env.Service.ResendInvitation(ctx, env.Admin(), "evil\x1b]0;pwned\x07@x.com")
	msg := portal.Message(env.Catalog.Printer("en"), err)
	if strings.ContainsAny(msg, "\x1b\x07") {
		t.Fatalf("refusal message carries control bytes: %q", msg)
	}
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	mails, err := env.Service.ListOutbox(ctx, env.Admin(), vocab.OutboxQuery{})
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox: %v %v", mails, err)
	}
	// The listing's view holds no body, so no token can leave this way.
	if _, ok := reflect.TypeOf(mails[0]).FieldByName("Body"); ok {
		t.Fatal("the outbox listing's view carries the mail's body, which holds the invitation token")
	}
}

// TestCodeStepRevealsNoAccount: at the code step, an email with an account
// and one without get the same refusals, and so do sign-ups, whichever
// email is used.
func TestCodeStepRevealsNoAccount(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann Smith")
	signUpOn(t, env)
	newPw := "a brand new passphrase for anyone"
	answers := func(email string) []string {
		var keys []string
		if err := env.Service.RequestReset(ctx, guest("2.2.2.2:1"), email); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ {
			_, err := env.Service.ResetPassword(ctx, guest("2.2.2.2:1"), email, "ZZZZ-ZZZZ", newPw, newPw)
			keys = append(keys, refusalKey(t, err))
		}
		// A password close to the account's name is not refused before the
		// code is right: that would tell the account exists.
		_, err := env.Service.ResetPassword(ctx, guest("2.2.2.2:1"), email, "ZZZZ-ZZZZ", "ann smith ann smith ann smith", "ann smith ann smith ann smith")
		keys = append(keys, refusalKey(t, err))
		in := portal.SignUpInput{Profile: portal.Profile{Name: "Someone", Email: email}, Password: newPw, Repeat: newPw}
		ticket, err := env.Service.SignUp(ctx, guest("2.2.2.2:1"), in)
		keys = append(keys, fmt.Sprint(err), fmt.Sprint(len(ticket)))
		_, err = env.Service.VerifyEmail(ctx, guest("2.2.2.2:1"), ticket, "ZZZZ-ZZZZ")
		keys = append(keys, refusalKey(t, err))
		return keys
	}
	known, unknown := answers("ann@x.com"), answers("nobody@x.com")
	if strings.Join(known, ",") != strings.Join(unknown, ",") {
		t.Fatalf("an account shows through:\nknown   %v\nunknown %v", known, unknown)
	}
}

// TestSignUpOffStopsEveryStep: turning sign-up off stops sign-ups already
// under way, at the code and at a new code.
func TestSignUpOffStopsEveryStep(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	signUpOn(t, env)
	in := portal.SignUpInput{Profile: portal.Profile{Name: "Bob", Email: "bob@x.com"}, Password: strong, Repeat: strong}
	ticket, err := env.Service.SignUp(ctx, guest("1.1.1.1:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, "bob@x.com", portal.MailVerifyCode).Body)
	if err := env.Service.SetSignUpMode(ctx, env.Admin(), vocab.SignUpOff); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.VerifyEmail(ctx, guest("1.1.1.1:1"), ticket, code); refusalKey(t, err) != "error.signup.off" {
		t.Fatalf("verify while off: %v", err)
	}
	if err := env.Service.ResendCode(ctx, guest("1.1.1.1:1"), ticket); refusalKey(t, err) != "error.signup.off" {
		t.Fatalf("resend while off: %v", err)
	}
}

// TestNoMailFlood: repeated sign-ups with an existing email and repeated
// reset requests mail at most one message each within the throttle.
func TestNoMailFlood(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	signUpOn(t, env)
	pw := "a brand new passphrase for anyone"
	for i := 0; i < 5; i++ {
		in := portal.SignUpInput{Profile: portal.Profile{Name: "X", Email: "ann@x.com"}, Password: pw, Repeat: pw}
		if _, err := env.Service.SignUp(ctx, guest("3.3.3.3:1"), in); err != nil {
			t.Fatal(err)
		}
		if err := env.Service.RequestReset(ctx, guest("3.3.3.3:1"), "ann@x.com"); err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	for _, m := range env.Mails(t, "ann@x.com") {
		count[m.Kind]++
	}
	if count[portal.MailSignUpExists] != 1 || count[portal.MailResetCode] != 1 {
		t.Fatalf("mails = %v, want one notice and one reset code", count)
	}
}
