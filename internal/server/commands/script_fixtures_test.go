package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// This file holds what a script sets up that staff cannot type: clients
// and requests made by the clients themselves, data written straight into
// the store (as an old version or an import might have left it), live
// sessions, and the outbox's delivery state. Only here do the scripts
// reach past the SSH commands.

// reviewSpecs are the fields of the request type most scripts use.
var reviewSpecs = []string{"Subject: text, required", "Details: multiline", "Urgency: choice(Low | Normal | High), required"}

// evil is a value holding every kind of byte a terminal acts on.
const evil = "E\x1b]0;owned\x07\x1b[2J\u009b31m\u202ev\r\n\x1b]52;c;cm0gLXJmIH4K\x07"

// cmdSeed: seed WHAT [ARGS] puts fixtures into the script's portal.
//
//	seed standard             ivy@example.com invited (company Acme), ada@example.com active
//	seed active EMAIL NAME    a client who accepted their invitation
//	seed awaiting EMAIL       a verified sign-up waiting for approval
//	seed review               the request type "Contract review" (reviewSpecs)
//	seed type NAME SPEC...    a request type
//	seed clients N            N active clients c00000@example.com…, in one transaction
//	seed audit N              N audit events by ann
//	seed old-audit            a client.disable of ada by ann ten days ago, with escapes in its detail
//	seed requests N EMAIL     N requests of type 1 by EMAIL
//	seed evil-client          evil@example.com, escapes in every field
//	seed evil-request         a client, a type, a request and events with escapes everywhere
func cmdSeed(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || neg {
		ts.Fatalf("usage: seed WHAT [ARGS]")
	}
	p := portalOf(ts)
	env, tb, ctx := p.env, p.tb, context.Background()
	now := time.Now()
	need := func(n int) {
		if len(args) != n+1 {
			ts.Fatalf("seed %s takes %d arguments", args[0], n)
		}
	}
	count := func(s string) int {
		n, err := strconv.Atoi(s)
		ts.Check(err)
		return n
	}
	switch args[0] {
	case "standard":
		need(0)
		_, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ivy@example.com", Name: "Ivy Invited", Company: "Acme"})
		ts.Check(err)
		env.AddActiveClient(tb, "ada@example.com", "Ada Active")
	case "active":
		need(2)
		env.AddActiveClient(tb, args[1], args[2])
	case "awaiting":
		need(1)
		ts.Check(env.Store.CreateClient(ctx, &store.Client{
			Email: args[1], Name: "Wendy Waiting", Lang: "en", Status: vocab.StatusAwaiting, CreatedAt: now, UpdatedAt: now,
		}))
	case "review":
		need(0)
		env.AddRequestType(tb, "Contract review", reviewSpecs...)
	case "type":
		if len(args) < 3 {
			ts.Fatalf("usage: seed type NAME SPEC...")
		}
		env.AddRequestType(tb, args[1], args[2:]...)
	case "clients":
		need(1)
		n := count(args[1])
		ts.Check(env.Store.Tx(ctx, func(tx *store.Store) error {
			for i := 0; i < n; i++ {
				c := &store.Client{Email: fmt.Sprintf("c%05d@example.com", i), Name: fmt.Sprintf("Client %d", i),
					Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateClient(ctx, c); err != nil {
					return err
				}
			}
			return nil
		}))
	case "audit":
		need(1)
		n := count(args[1])
		ts.Check(env.Store.Tx(ctx, func(tx *store.Store) error {
			for i := 0; i < n; i++ {
				if err := tx.AddAudit(ctx, &store.AuditEvent{At: now, ActorKind: vocab.ActorStaff, Actor: "ann", Action: "x.y"}); err != nil {
					return err
				}
			}
			return nil
		}))
	case "old-audit":
		need(0)
		ts.Check(env.Store.AddAudit(ctx, &store.AuditEvent{At: now.AddDate(0, 0, -10), ActorKind: vocab.ActorStaff, Actor: "ann",
			Action: "client.disable", Subject: "ada@example.com", Detail: "long ago \x1b[2J\u009b31m"}))
	case "requests":
		need(2)
		n := count(args[1])
		c, err := env.Store.ClientByEmail(ctx, args[2])
		ts.Check(err)
		rt, err := env.Store.RequestTypeByID(ctx, 1)
		ts.Check(err)
		ts.Check(env.Store.Tx(ctx, func(tx *store.Store) error {
			for i := 0; i < n; i++ {
				if err := tx.CreateRequest(ctx, &store.Request{
					ClientID: c.ID, TypeID: rt.ID, TypeName: rt.Name, Summary: fmt.Sprintf("request %d", i+1), Fields: "[]",
					Status: vocab.RequestNew, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now,
				}); err != nil {
					return err
				}
			}
			return nil
		}))
	case "evil-client":
		need(0)
		ts.Check(env.Store.CreateClient(ctx, &store.Client{
			Email: "evil@example.com", Name: "Eve\x1b]0;owned\x07\x1b[2J\u009b31m\u202eliam",
			Company: "Co\x1b[31m\r\nrm -rf", Phone: "+1" + env.InvalidUTF8(), Lang: "en\x1b[2J",
			Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now,
		}))
	case "evil-request":
		need(0)
		seedEvilRequest(ts, env, now)
	default:
		ts.Fatalf("unknown seed %q", args[0])
	}
}

func seedEvilRequest(ts *testscript.TestScript, env *portaltest.Env, now time.Time) {
	ctx := context.Background()
	bad := evil + env.InvalidUTF8()
	// For the columns of 16 characters, which PostgreSQL holds to that.
	short := "\x1b]0;x\x07\u202e" + env.InvalidUTF8()
	c := &store.Client{Email: "evil@example.com", Name: "Name" + bad, Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}
	ts.Check(env.Store.CreateClient(ctx, c))
	fields, _ := json.Marshal([]portal.RequestField{{Label: "Label" + bad, Kind: "text"}, {Label: "Pick", Kind: "choice", Choices: []string{"A" + bad, "B"}}})
	rt := &store.RequestType{Name: "Type" + bad, Description: "Desc" + bad, Fields: string(fields), CreatedAt: now, UpdatedAt: now}
	ts.Check(env.Store.CreateRequestType(ctx, rt))
	values, _ := json.Marshal([]portal.FieldValue{{Label: "Label" + bad, Kind: "multiline" + bad, Value: "line one\n" + bad + "\nline three"}})
	q := &store.Request{ClientID: c.ID, TypeID: rt.ID, TypeName: "Type" + bad, Summary: "Summary" + bad, Fields: string(values),
		Status: vocab.RequestNew + short, Assignee: "Assignee" + bad, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now}
	ts.Check(env.Store.CreateRequest(ctx, q))
	for _, e := range []store.RequestEvent{
		{Kind: vocab.EventSubmitted, AuthorKind: vocab.ActorClient, Author: "Author" + bad, Status: "new" + short},
		{Kind: vocab.EventStatus, AuthorKind: vocab.ActorStaff, Author: "ann", Status: "done" + short},
		{Kind: vocab.EventAssign, AuthorKind: vocab.ActorStaff, Author: "ann", Body: "Body" + bad, Internal: true},
		{Kind: vocab.EventNote, AuthorKind: vocab.ActorStaff, Author: "ann", Body: "Note\n" + bad, Internal: true},
		{Kind: "kind" + short, AuthorKind: vocab.ActorStaff, Author: "ann"},
	} {
		e.RequestID, e.At = q.ID, now
		ts.Check(env.Store.AddRequestEvent(ctx, &e))
	}
}

// clientActor is the client with email, logged in.
func clientActor(ts *testscript.TestScript, email string) portal.Actor {
	return portaltest.ClientActor(clientView(ts, email))
}

// clientView is the client with email as the portal shows it.
func clientView(ts *testscript.TestScript, email string) *portal.Client {
	env := portalOf(ts).env
	d, err := env.Service.ClientDetails(context.Background(), env.Admin(), email)
	ts.Check(err)
	return &d.Client
}

// cmdSubmit: submit EMAIL TYPE VALUE... files a request as that client.
func cmdSubmit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: submit EMAIL TYPE VALUE...")
	}
	typeID, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	_, err = portalOf(ts).env.Service.SubmitRequest(context.Background(), clientActor(ts, args[0]), typeID, args[2:])
	ts.Check(err)
}

// cmdClientNote: client-note EMAIL ID TEXT adds a note as that client.
func cmdClientNote(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: client-note EMAIL ID TEXT")
	}
	id, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	ts.Check(portalOf(ts).env.Service.AddNote(context.Background(), clientActor(ts, args[0]), id, args[2], false))
}

// cmdSession: session EMAIL binds a live session of the client, as a log
// in does; session -ended EMAIL checks that the portal ended it (! for
// still live).
func cmdSession(ts *testscript.TestScript, neg bool, args []string) {
	p := portalOf(ts)
	switch {
	case len(args) == 1 && !neg:
		c := clientView(ts, args[0])
		ended := new(bool)
		ctx, cancel := context.WithCancel(context.Background())
		ts.Defer(cancel)
		p.mu.Lock()
		p.sessions++
		id := fmt.Sprintf("session-%d-%s", p.sessions, args[0])
		p.mu.Unlock()
		p.env.BindSession(p.tb, ctx, c, id, func() {
			p.mu.Lock()
			*ended = true
			p.mu.Unlock()
		})
		p.mu.Lock()
		p.ended[args[0]] = ended
		p.mu.Unlock()
	case len(args) == 2 && args[0] == "-ended":
		p.mu.Lock()
		ended, ok := p.ended[args[1]]
		got := ok && *ended
		p.mu.Unlock()
		if !ok {
			ts.Fatalf("no session of %s was bound", args[1])
		}
		if got == neg {
			ts.Fatalf("session of %s ended: %v", args[1], got)
		}
	default:
		ts.Fatalf("usage: session EMAIL | session -ended EMAIL")
	}
}

// cmdMail: mail EMAIL KIND prints the newest queued or sent mail of that
// kind to EMAIL (its subject, a blank line, its body); ! mail EMAIL KIND
// says there is none. mail -count N EMAIL checks how many mails EMAIL has.
func cmdMail(ts *testscript.TestScript, neg bool, args []string) {
	p := portalOf(ts)
	if len(args) == 3 && args[0] == "-count" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		if got := len(p.env.Mails(p.tb, args[2])); (got == n) == neg {
			ts.Fatalf("%d mails to %s, want %d", got, args[2], n)
		}
		return
	}
	if len(args) != 2 {
		ts.Fatalf("usage: mail EMAIL KIND | mail -count N EMAIL")
	}
	mails := p.env.Mails(p.tb, args[0])
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].Kind == args[1] {
			if neg {
				ts.Fatalf("a %s mail to %s was queued", args[1], args[0])
			}
			fmt.Fprintf(ts.Stdout(), "%s\n\n%s", mails[i].Subject, mails[i].Body)
			return
		}
	}
	if !neg {
		ts.Fatalf("no %s mail to %s", args[1], args[0])
	}
}

// lastMail is the newest mail of kind to addr.
func lastMail(ts *testscript.TestScript, addr, kind string) store.OutboxMessage {
	p := portalOf(ts)
	mails := p.env.Mails(p.tb, addr)
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].Kind == kind {
			return mails[i]
		}
	}
	ts.Fatalf("no %s mail to %s", kind, addr)
	return store.OutboxMessage{}
}

// cmdMailMark: what the mail worker would record of a delivery.
//
//	mail-mark sent EMAIL KIND TIME
//	mail-mark failed EMAIL KIND ATTEMPTS NEXT ERROR   (NEXT an RFC 3339 time, or - for given up)
func cmdMailMark(ts *testscript.TestScript, neg bool, args []string) {
	p := portalOf(ts)
	ctx := context.Background()
	at := func(s string) time.Time {
		if s == "-" {
			return time.Time{}
		}
		v, err := time.Parse(time.RFC3339, s)
		ts.Check(err)
		return v
	}
	switch {
	case len(args) == 4 && args[0] == "sent" && !neg:
		ts.Check(p.env.Store.MarkMailSent(ctx, lastMail(ts, args[1], args[2]).ID, at(args[3])))
	case len(args) == 6 && args[0] == "failed" && !neg:
		attempts, err := strconv.Atoi(args[3])
		ts.Check(err)
		ts.Check(p.env.Store.MarkMailFailed(ctx, "", lastMail(ts, args[1], args[2]).ID, attempts, at(args[4]), args[5]))
	default:
		ts.Fatalf("usage: mail-mark sent EMAIL KIND TIME | mail-mark failed EMAIL KIND ATTEMPTS NEXT ERROR")
	}
}

// cmdMailID: mail-id VAR EMAIL KIND sets $VAR to the outbox ID of the
// newest such mail, and $VAR_TOKEN to the invitation token it carries, if
// any.
func cmdMailID(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: mail-id VAR EMAIL KIND")
	}
	m := lastMail(ts, args[1], args[2])
	ts.Setenv(args[0], strconv.FormatUint(m.ID, 10))
	if i := strings.Index(m.Body, "invite-"); i >= 0 {
		rest := m.Body[i+len("invite-"):]
		if j := strings.IndexByte(rest, '@'); j > 0 {
			ts.Setenv(args[0]+"_TOKEN", rest[:j])
		}
	}
}

// cmdSignUpStart: signup-start EMAIL NAME signs up as a guest would (sign
// up must be on); the code is mailed.
func cmdSignUpStart(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: signup-start EMAIL NAME")
	}
	p := portalOf(ts)
	pw := portaltest.StrongPassword
	ticket, err := p.env.Service.SignUp(context.Background(), portal.Guest("10.9.9.9:1", "s"),
		portal.SignUpInput{Profile: portal.Profile{Name: args[1], Email: args[0]}, Password: pw, Repeat: pw})
	ts.Check(err)
	p.mu.Lock()
	p.tickets[args[0]] = ticket
	p.mu.Unlock()
}

// cmdSignUpVerify: signup-verify EMAIL types the mailed code; ! expects it
// refused as a wrong code.
func cmdSignUpVerify(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: signup-verify EMAIL")
	}
	p := portalOf(ts)
	p.mu.Lock()
	ticket, ok := p.tickets[args[0]]
	p.mu.Unlock()
	if !ok {
		ts.Fatalf("no sign-up of %s was started", args[0])
	}
	code := portaltest.CodeIn(p.tb, lastMail(ts, args[0], portal.MailVerifyCode).Body)
	_, err := p.env.Service.VerifyEmail(context.Background(), portal.Guest("10.9.9.9:1", "s"), ticket, code)
	switch {
	case !neg:
		ts.Check(err)
	case err == nil:
		ts.Fatalf("the code was taken")
	case portal.AsError(err) == nil || portal.AsError(err).Key != "error.code.wrong":
		ts.Fatalf("the code: %v, want error.code.wrong", err)
	}
}
