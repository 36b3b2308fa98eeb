package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

const (
	firstPassword  = "correct horse battery staple 42"
	secondPassword = "violet tractor under the lighthouse"
	subjInvitation = "Your invitation to the client portal"
	subjReset      = "Your code to reset your password"
	subjVerify     = "Your code to confirm your email"
)

// TestClientJourney is the README's walk-through over real SSH connections:
// an admin adds a client, the client accepts the invitation from its mail,
// logs in, resets the password with the mailed code (which ends the other
// sessions), and sees sign-up appear and disappear as the admin toggles it.
func TestClientJourney(t *testing.T) {
	ps := startPortal(t)

	welcome := ps.openTerminal(t, "guest")
	welcome.waitFor("Accept invitation")
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(ansiFree(welcome.out.String()), "Sign up") {
		t.Fatal("sign-up is off by default but the welcome screen offers it")
	}

	out := ps.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith", "--company", "Acme")
	if !strings.Contains(out, "ann@example.com") {
		t.Fatalf("clients add said %q", out)
	}
	invitation := ps.waitMail(t, "ann@example.com", subjInvitation, 0)
	token := inviteToken(t, invitation.Body)
	if !strings.Contains(invitation.Body, "ssh -t -p 2222 invite-"+token+"@127.0.0.1") {
		t.Fatalf("invitation lacks the ready command:\n%s", invitation.Body)
	}

	invited := ps.acceptInvitation(t, token, "Ann Smith")
	laptop := ps.logIn(t, "ann@example.com", "Ann Smith")

	phone := ps.openTerminal(t, "ann")
	phone.waitFor("Forgot password")
	phone.send("f")
	phone.waitFor("Type the email of your account")
	phone.fill("ann@example.com")
	phone.waitFor("we sent a code")
	code := mailCode(t, ps.waitMail(t, "ann@example.com", subjReset, 0).Body)
	phone.fill(strings.ToLower(code), secondPassword, secondPassword)
	phone.waitFor("Hello, Ann Smith")

	// The reset ended the client's other sessions.
	laptop.ended()
	invited.ended()

	again := ps.openTerminal(t, "ann")
	again.waitFor("Accept invitation")
	again.send("l")
	again.waitFor("Log in with the email")
	again.fill("ann@example.com", firstPassword)
	again.waitFor("Wrong email or password.")

	ps.admin1(t, "signup", "on")
	if got := strings.TrimSpace(ps.admin1(t, "signup", "status")); got != "on" {
		t.Fatalf("signup status = %q", got)
	}
	newcomer := ps.openTerminal(t, "bob")
	newcomer.waitFor("Sign up")
	newcomer.send("s")
	newcomer.waitFor("Tell us who you are")
	newcomer.fill("Bob Brown", "bob@example.com", "", "", secondPassword, secondPassword)
	newcomer.waitFor("We sent a code to bob@example.com")
	newcomer.fill(mailCode(t, ps.waitMail(t, "bob@example.com", subjVerify, 0).Body))
	newcomer.waitFor("Hello, Bob Brown")

	ps.admin1(t, "signup", "off")
	late := ps.openTerminal(t, "carol")
	late.waitFor("Accept invitation")
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(ansiFree(late.out.String()), "Sign up") {
		t.Fatal("sign-up was turned off but the welcome screen still offers it")
	}
}

// TestClientWithoutPTY gets one line saying how to connect, and a non-zero exit.
func TestClientWithoutPTY(t *testing.T) {
	ps := startPortal(t)
	c, err := ps.dial(t, "someone")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	s.Stderr = &stderr
	err = s.Run("")
	if code := exitStatus(t, err); code == 0 {
		t.Fatal("a client without a PTY exited 0")
	}
	if !strings.Contains(stderr.String(), "ssh -t") {
		t.Fatalf("no-PTY message = %q", stderr.String())
	}
}

// TestStaffKeys: an unknown key is refused by SSH itself; a support key
// cannot run admin commands.
func TestStaffKeys(t *testing.T) {
	ps := startPortal(t)
	stranger, _ := newSigner(t, t.TempDir(), "stranger")
	if c, err := ps.dial(t, "portal-admin", gossh.PublicKeys(stranger)); err == nil {
		c.Close()
		t.Fatal("an unknown key got in as portal-admin")
	}
	if c, err := ps.dial(t, "portal-admin"); err == nil {
		c.Close()
		t.Fatal("keyboard-interactive got in as portal-admin")
	}
	support, _ := newSigner(t, t.TempDir(), "support")
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(support.PublicKey())))
	ps.admin1(t, "staff", "add", "--name", "sam", "--role", "support", "--key", line)
	_, errOut, code := ps.staff(t, support, "", "signup", "on")
	if code == 0 || !strings.Contains(errOut, "role") {
		t.Fatalf("support turned sign-up on: exit %d, %q", code, errOut)
	}
	if out, _, code := ps.staff(t, support, "", "url"); code != 0 || strings.TrimSpace(out) != "ssh://127.0.0.1:2222" {
		t.Fatalf("url for support: %d %q", code, out)
	}
}

// TestShutdownRestoresTerminals: stopping the server ends each client
// program properly, leaving the alternate screen, before the session closes.
func TestShutdownRestoresTerminals(t *testing.T) {
	ps := startPortal(t)
	tm := ps.openTerminal(t, "guest")
	tm.waitFor("Accept invitation")
	if !strings.Contains(tm.out.String(), "\x1b[?1049h") {
		t.Fatal("the client program did not enter the alternate screen")
	}
	ps.stop()
	tm.ended()
	if !strings.Contains(tm.out.String(), "\x1b[?1049l") {
		t.Fatalf("shutdown left the terminal in the alternate screen; tail: %q", tail(tm.out.String(), 200))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestSessionsLeaveNothingBehind: fifty client sessions on the real
// portal, some logged in, closed every way a client closes them; the
// server's goroutines come back to where they were.
func TestSessionsLeaveNothingBehind(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "clients", "add", "--email", "gil@example.com", "--name", "Gil")
	token := inviteToken(t, ps.waitMail(t, "gil@example.com", subjInvitation, 0).Body)
	setup := ps.acceptInvitation(t, token, "Gil")
	setup.send("q")
	setup.ended()

	settle := func() int {
		// Goroutines end a little after their session: wait for the count
		// to stop moving rather than for a fixed time.
		last, stable := runtime.NumGoroutine(), 0
		for i := 0; i < 200 && stable < 10; i++ {
			time.Sleep(20 * time.Millisecond)
			if n := runtime.NumGoroutine(); n == last {
				stable++
			} else {
				last, stable = n, 0
			}
		}
		return last
	}
	before := settle()
	var terms []*terminal
	for i := 0; i < 50; i++ {
		tm := ps.openTerminal(t, "gil")
		tm.waitFor("Accept invitation")
		if i%2 == 0 {
			tm.send("l")
			tm.waitFor("Log in with the email")
			tm.fill("gil@example.com", firstPassword)
			tm.waitFor("Hello, Gil")
		}
		terms = append(terms, tm)
	}
	for i, tm := range terms {
		switch i % 3 {
		case 0:
			tm.send("\x03") // ctrl+c
			tm.ended()
		case 1:
			_ = tm.c.Close() // the client goes away without a word
		default:
			_ = tm.s.Close()
		}
	}
	// The test's own SSH clients count too: close every connection, as
	// the clients' ssh processes would on exit.
	for _, tm := range terms {
		_ = tm.c.Close()
	}
	after := settle()
	if after > before+5 {
		t.Fatalf("goroutines: %d before 50 sessions, %d after they closed", before, after)
	}
}
