package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestRequestJourneyInFrench follows one request from submission to its
// end over real SSH connections, for a French client: the admin describes
// a kind of request and invites the client in French; the client, whose
// terminal sends LANG=fr_FR.UTF-8, accepts, submits a request through the
// form and sees every change the legal team makes from the commands (every
// status, visible and internal notes, an assignment); the legal team and
// the client are mailed, the client in French and never a note's text, and
// changes after a notice went wait a minute to be told together.
func TestRequestJourneyInFrench(t *testing.T) {
	ps := startPortal(t, "--team-email", "legal@example.com")

	ps.admin1(t, "types", "add", "Contract review", "--description", "We read a contract before you sign",
		"--field", "Subject: text, required", "--field", "Sign by: date", "--field", "Urgency: choice(Low | Normal | High), required")
	ps.admin1(t, "clients", "add", "--email", "zoe@example.com", "--name", "Zoé Martin", "--lang", "fr")
	invitation := ps.waitMail(t, "zoe@example.com", "Votre invitation au portail client", 0)

	zoe := ps.openTerminalEnv(t, "invite-"+inviteToken(t, invitation.Body), "LANG=fr_FR.UTF-8")
	zoe.waitFor("Bienvenue, Zoé Martin")
	zoe.fill(firstPassword, firstPassword)
	zoe.waitFor("Bonjour, Zoé Martin")

	// A new request, with a date that does not exist: the form says so in
	// French before the review, and keeps what was typed.
	zoe.send("n")
	zoe.waitFor("Contract review")
	zoe.send("\r")
	zoe.waitFor("Nouvelle demande : Contract review")
	zoe.fill("Bail du magasin", "2026-02-30")
	zoe.send("H")
	zoe.waitFor("(•) High")
	zoe.send("\r")
	zoe.waitFor("La date 2026-02-30 n'existe pas") // before the review, on the date
	zoe.send(strings.Repeat("\x7f", 10))           // backspace over it
	zoe.fill("2026-12-31")
	zoe.send("\r")
	zoe.waitFor("Vérifiez votre demande")
	zoe.send("\r")
	zoe.waitFor("Votre demande n° 1 a été envoyée")

	team := ps.waitMail(t, "legal@example.com", "Request #1 (Contract review) from Zoé Martin", 0)
	if strings.Contains(team.Body, "Bail du magasin") || !strings.Contains(team.Body, "requests show 1") {
		t.Fatalf("team notice:\n%s", team.Body)
	}

	// The legal team works it through every status from a script.
	sam, _ := newSigner(t, t.TempDir(), "sam")
	if _, errOut, code := ps.staff(t, ps.admin, string(gossh.MarshalAuthorizedKey(sam.PublicKey())), "staff", "add", "--name", "sam", "--role", "support", "--key", "-"); code != 0 {
		t.Fatalf("staff add: %s", errOut)
	}
	steps := [][]string{
		{"requests", "assign", "1", "sam"},
		{"requests", "status", "1", "in_progress"},
		{"requests", "note", "--visible", "1", "Nous avons lu le bail ; le loyer double en troisième année."},
		{"requests", "note", "--internal", "1", "Call the landlord's lawyer"},
		{"requests", "status", "1", "waiting"},
	}
	for _, step := range steps {
		ps.admin1(t, step...)
	}
	first := ps.waitMail(t, "zoe@example.com", "Du nouveau sur votre demande n° 1 (Contract review)", 0)
	if !strings.Contains(first.Body, "Bonjour Zoé Martin") || strings.Contains(first.Body, "loyer") || strings.Contains(first.Body, "landlord") {
		t.Fatalf("first notice (French, no note text):\n%s", first.Body)
	}

	// The client, still on the page of the request they sent, goes back to
	// their list: it shows the news; they open it and answer.
	zoe.send("\x1b")
	zoe.waitFor("En attente")
	zoe.send("\r")
	zoe.waitFor("le loyer double")
	if strings.Contains(ansiFree(zoe.out.String()), "landlord") {
		t.Fatal("the client sees an internal note")
	}
	zoe.send("n")
	zoe.waitFor("Note sur la demande n° 1")
	zoe.send("Merci, voici le bail signé.")
	zoe.send("\x13") // ctrl+s
	zoe.waitFor("Votre note a été envoyée")

	// The answer brought it back to in progress; the team closes it,
	// reopens it, and turns it down.
	for _, st := range []string{"done", "in_progress", "rejected"} {
		ps.admin1(t, "requests", "status", "1", st)
	}
	shown := ps.admin1(t, "requests", "show", "1", "--json")
	var req struct {
		Status   string `json:"status"`
		Assignee string `json:"assignee"`
	}
	if err := json.Unmarshal([]byte(shown), &req); err != nil {
		t.Fatalf("requests show --json: %v\n%s", err, shown)
	}
	if req.Status != "rejected" || req.Assignee != "sam" {
		t.Fatalf("request after the work: %+v", req)
	}
	for _, want := range []string{"Merci, voici le bail signé.", "Call the landlord's lawyer", "waiting", "done", "rejected"} {
		if !strings.Contains(shown, want) {
			t.Errorf("requests show lacks %q:\n%s", want, shown)
		}
	}

	if text := ps.admin1(t, "requests", "show", "1"); !strings.Contains(text, "zoe@example.com  answered: back to in_progress") {
		t.Errorf("the history lacks the client's answer bringing it back:\n%s", text)
	}

	// Later changes wait their minute in the outbox, told together.
	type outboxLine struct {
		Kind          string     `json:"kind"`
		To            string     `json:"to"`
		State         string     `json:"state"`
		NextAttemptAt *time.Time `json:"next_attempt_at"`
		SentAt        *time.Time `json:"sent_at"`
	}
	var outbox []outboxLine // newest first
	if out := ps.admin1(t, "outbox", "list", "--json"); json.Unmarshal([]byte(out), &outbox) != nil {
		t.Fatalf("outbox list --json:\n%s", out)
	}
	notices := map[string][]outboxLine{}
	for _, m := range outbox {
		notices[m.Kind] = append(notices[m.Kind], m)
	}
	for _, kind := range []string{"request_update", "request_team"} {
		ns := notices[kind]
		if len(ns) != 2 || ns[0].State != "queued" || ns[0].NextAttemptAt == nil || ns[1].State != "sent" || ns[1].SentAt == nil {
			t.Fatalf("%s notices in the outbox (newest first): %+v", kind, ns)
		}
		if gap := ns[0].NextAttemptAt.Sub(*ns[1].SentAt); gap < 55*time.Second {
			t.Fatalf("the second %s notice is due %s after the first went, want about a minute", kind, gap)
		}
	}

	// Back on the list, refreshed, the request shows its end.
	zoe.send("\x1b")
	zoe.waitFor("Mes demandes")
	zoe.send("r")
	zoe.waitFor("Refusée")
}

// TestKeysTypedAheadReachTheFormTheyOpen types Enter on the kind of request
// and the request's text at once, as someone who types ahead over a slow
// link does: every key reaches the form Enter opens, in order.
func TestKeysTypedAheadReachTheFormTheyOpen(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "types", "add", "Advice", "--field", "Question: text, required")
	ann := ps.invitedClient(t, "ann@example.com", "Ann Smith")
	ann.send("n")
	ann.waitFor("Advice")
	for _, keys := range []string{"\r", "May I sublet", " the shop?", "\r"} {
		ann.send(keys)
	}
	// The review is always seen before the request goes.
	ann.waitFor("Check your request")
	ann.send("\r")
	ann.waitFor("Your request #1 was sent")
	if shown := ps.admin1(t, "requests", "show", "1"); !strings.Contains(shown, "Question: May I sublet the shop?") {
		t.Fatalf("the typed-ahead text arrived changed:\n%s", shown)
	}
}
