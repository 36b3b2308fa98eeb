package main

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// openConsole opens the staff console over SSH with the admin's key and a
// PTY, as `ssh -t -p PORT portal-admin@HOST` does.
func (ps *portalServer) openConsole(t testing.TB, signer gossh.Signer, cols, rows int) *terminal {
	t.Helper()
	return ps.openTerminalSized(t, staffUser, cols, rows, gossh.PublicKeys(signer))
}

// TestConsoleOverSSH: an admin opens the console, adds a client through
// the form (the invitation arrives), searches for it and resends the
// invitation from the client's page.
func TestConsoleOverSSH(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")

	con := ps.openConsole(t, ps.admin, 120, 40)
	con.waitFor("Ann Smith")
	if !strings.Contains(ansiFree(con.out.String()), "ssh://127.0.0.1:2222") {
		t.Fatal("the console header lacks the portal URL")
	}

	con.send("a")
	con.waitFor("Add client")
	con.fill("dora@example.com", "Dora Lee", "", "")
	con.waitFor("Invitation queued for dora@example.com")
	first := ps.waitMail(t, "dora@example.com", subjInvitation, 0)

	con.send("/")
	con.waitFor("Search")
	for _, r := range "dora" {
		con.send(string(r))
		time.Sleep(20 * time.Millisecond)
	}
	con.send("\r")
	con.waitFor(`Search: "dora"`)

	con.send("\r")
	con.waitFor("Invitations")
	con.send("r")
	con.waitFor("A new invitation to dora@example.com is queued")
	second := ps.waitMail(t, "dora@example.com", subjInvitation, 1)
	if inviteToken(t, first.Body) == inviteToken(t, second.Body) {
		t.Fatal("the resent invitation has the same token")
	}

	con.send("q")
	if code := con.ended(); code != 0 {
		t.Fatalf("console exit status %d", code)
	}
}
