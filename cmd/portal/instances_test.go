package main

import (
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// hostKeyOf is the fingerprint of the host key ps shows a client.
func hostKeyOf(t *testing.T, ps *portalServer) string {
	t.Helper()
	var fp string
	c, err := gossh.Dial("tcp", ps.addr, &gossh.ClientConfig{
		User: "guest", Auth: []gossh.AuthMethod{noQuestions()}, Timeout: 10 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			fp = gossh.FingerprintSHA256(key)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	return fp
}

// waitMailFrom waits for a mail to addr whose subject holds subject,
// delivered by any of the instances, and checks that only one did.
func waitMailFrom(t *testing.T, instances []*portalServer, addr, subject string) sentMail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var found []sentMail
		for _, ps := range instances {
			for _, m := range ps.mails(t) {
				if strings.EqualFold(m.To, addr) && strings.Contains(m.Subject, subject) {
					found = append(found, m)
				}
			}
		}
		switch {
		case len(found) > 1:
			t.Fatalf("%d mails %q to %s across the instances, want 1", len(found), subject, addr)
		case len(found) == 1:
			return found[0]
		case time.Now().After(deadline):
			t.Fatalf("no mail %q to %s from any instance", subject, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoInstancesShareOnePostgreSQL runs two servers on one PostgreSQL
// database and one host key directory, as behind a TCP load balancer: a
// client sees one fingerprint; a client added on one is invited once and
// accepts on the other; the sign-up setting changed on one is what the
// other shows; a disable on one ends the client's sessions on both; and
// `portal check` sees both instances.
func TestTwoInstancesShareOnePostgreSQL(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	keys := t.TempDir()
	a := startPortal(t, "--db", dsn, "--host-keys", keys)
	b := startPortal(t, "--db", dsn, "--host-keys", keys)
	both := []*portalServer{a, b}
	if fa, fb := hostKeyOf(t, a), hostKeyOf(t, b); fa != fb {
		t.Fatalf("the instances show different host keys: %s and %s", fa, fb)
	}

	a.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")
	if out := b.admin1(t, "clients", "list", "--json"); !strings.Contains(out, "ann@example.com") {
		t.Fatalf("a client added on A is not listed on B:\n%s", out)
	}
	token := inviteToken(t, waitMailFrom(t, both, "ann@example.com", subjInvitation).Body)
	onB := b.acceptInvitation(t, token, "Ann Smith")
	onA := a.logIn(t, "ann@example.com", "Ann Smith")

	b.admin1(t, "signup", "on")
	guest := a.openTerminal(t, "guest")
	guest.waitFor("Sign up")

	start := time.Now()
	a.admin1(t, "clients", "disable", "ann@example.com")
	onA.ended()
	onB.ended()
	t.Logf("a disable on A ended the session on B within %v", time.Since(start).Round(time.Millisecond))

	out, errOut, code := runCLI(t, nil, "check", "--db", dsn)
	if code != 0 || !strings.Contains(out, "instances       2 running") {
		t.Fatalf("portal check: exit %d\n%s%s", code, out, errOut)
	}
}
