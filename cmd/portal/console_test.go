package main

import (
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	gossh "golang.org/x/crypto/ssh"
)

// openConsole opens the staff console over SSH with the admin's key and a
// PTY, as `ssh -t -p PORT portal-admin@HOST` does.
func (ps *portalServer) openConsole(t testing.TB, signer gossh.Signer, cols, rows int) *terminal {
	t.Helper()
	return ps.openTerminalSized(t, vocab.StaffUser, cols, rows, gossh.PublicKeys(signer))
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

	// Enter opens a row only once the rows of the new search are in (it
	// does nothing on the rows of the search before): press it until the
	// client's page shows.
	for i := 0; ; i++ {
		con.send("\r")
		if con.appears("Invitations", time.Second) {
			break
		}
		if i == 15 {
			con.waitFor("Invitations")
		}
	}
	if !strings.Contains(con.screenText(), "dora@example.com") {
		t.Fatalf("Enter opened another client than the one searched for:\n%s", con.screenText())
	}
	con.mark = con.out.Len()
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

// TestConsoleWorksARequestOverSSH: a client submits a request; an admin in
// the console at 80x24 opens it from the Requests tab, moves it along,
// writes an internal and a visible note, assigns it; the client is mailed,
// and sees the visible note but never the internal one.
func TestConsoleWorksARequestOverSSH(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "types", "add", "Advice", "--field", "Question: text, required")
	ann := ps.invitedClient(t, "ann@example.com", "Ann Smith")
	ann.send("n")
	ann.waitFor("Advice")
	ann.send("\r")
	ann.fill("May I sublet the shop?")
	ann.waitFor("Check your request") // keys while it checks are not for the review
	ann.send("\r")
	ann.waitFor("Your request #1 was sent")

	con := ps.openConsole(t, ps.admin, 80, 24)
	con.waitFor("Clients")
	con.send("2")
	con.waitFor("May I sublet")
	con.send("\r")
	con.waitFor("History") // loaded: keys before that are not for it
	con.send("s")
	con.waitFor("in progress")
	con.send("2") // each status has its own key: 2 is in progress
	con.waitFor("Request #1 is now in progress; the client was told.")
	ps.waitMail(t, "ann@example.com", "News on your request #1", 0)

	con.send("n")
	con.waitFor("Internal note: for staff only")
	con.send("Her landlord is a client too: conflict check first.")
	con.send("\x13") // ctrl+s
	con.waitFor("Internal note added to request #1")
	con.send("n")
	con.waitFor("Internal note: for staff only")
	con.send("Subletting is allowed by clause 12 of your lease.")
	con.send("\x14") // ctrl+t
	con.waitFor("VISIBLE TO THE CLIENT")
	con.send("\x13")
	con.waitFor("Note added to request #1; the client can read it.")
	con.send("a")
	con.waitFor("nobody")
	con.send("1")
	con.waitFor("Request #1 is assigned to")

	ann.send("\x1b")
	ann.waitFor("In progress")
	ann.send("\r")
	ann.waitFor("clause 12")
	if strings.Contains(ansiFree(ann.out.String()), "conflict check") {
		t.Fatal("the client sees the internal note")
	}
	// Closing it asks first: the client is mailed.
	con.send("s")
	con.waitFor("done")
	con.send("4")
	con.waitFor("Move request #1 to done?")
	con.send("y")
	con.waitFor("Request #1 is now done")
	con.send("q")
	con.ended()
}
