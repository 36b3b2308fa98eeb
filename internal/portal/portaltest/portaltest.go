// Package portaltest builds a real portal.Service on a fresh database (the
// run's, from dbtest: SQLite, or PostgreSQL) for the tests of the packages
// above it (TUI, commands, server).
package portaltest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/store/dbtest"
	"github.com/clientportal/portal/internal/text"
)

// Env is a portal on a fresh database.
type Env struct {
	Service *portal.Service
	Store   *store.Store
	Catalog *text.Catalog
	Dir     string
	DSN     string // the database, for another instance on it
	// ImportDir is the folder the console's import reads from (made,
	// empty, in the test's temporary directory).
	ImportDir string
}

// FastParams are argon2id parameters far below production's, so that suites
// which hash many passwords run quickly; hashing itself is tested with the
// real parameters in internal/auth and end to end.
func FastParams() auth.Params {
	p := auth.DefaultParams()
	p.Memory, p.Time = 1024, 1
	return p
}

// New makes an Env on a fresh database of the run (see dbtest).
func New(t testing.TB, opts ...portal.Option) *Env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dsn := dbtest.DSN(t)
	e := open(t, dsn, filepath.Join(dir, "import"), opts...)
	if err := e.Store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Recorded as a running instance, as serve does, so that its live
	// sessions count (its heartbeat is the test's to run, if it needs
	// more than the first seconds).
	if err := e.Service.StartInstance(ctx); err != nil {
		t.Fatal(err)
	}
	e.Dir = dir
	return e
}

// Another is a second instance of the portal on e's database, as another
// server sharing it would be: its own connections and its own Service.
func (e *Env) Another(t testing.TB, opts ...portal.Option) *Env {
	t.Helper()
	dir := t.TempDir()
	other := open(t, e.DSN, filepath.Join(dir, "import"), opts...)
	other.Dir = dir
	return other
}

func open(t testing.TB, dsn, importDir string, opts ...portal.Option) *Env {
	t.Helper()
	if err := os.MkdirAll(importDir, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cat, err := text.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := portal.New(st, auth.NewHasher(FastParams(), 2), cat, portal.Config{
		PublicAddr: "portal.example.com:2222",
		InviteTTL:  24 * time.Hour,
		MailFrom:   "portal@example.com",
		TeamEmail:  TeamEmail,
		ImportDir:  importDir,
	}, opts...)
	return &Env{Service: svc, Store: st, Catalog: cat, DSN: dsn, ImportDir: importDir}
}

// RoomyQuotas is an option for tests that build fixtures larger than a
// client may make in an hour (a list of a hundred requests): quotas
// nothing reaches. The quotas themselves are tested with the real ones.
func RoomyQuotas() portal.Option {
	return portal.WithQuotas(portal.Quotas{OpenRequests: 1 << 30, RequestsPerHour: 1 << 30, NotesPerRequestPerHour: 1 << 30, StoredBytes: 1 << 40})
}

// TeamEmail is the legal team's address in every Env.
const TeamEmail = "legal@example.com"

// Admin is an admin actor (the system), for setting up data.
func (e *Env) Admin() portal.Actor { return portal.System("test-admin") }

// Mails lists every queued or sent mail to addr, oldest first.
func (e *Env) Mails(t testing.TB, addr string) []store.OutboxMessage {
	t.Helper()
	all, err := e.Store.ListMail(context.Background(), vocab.OutboxQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OutboxMessage
	for i := len(all) - 1; i >= 0; i-- {
		if strings.EqualFold(all[i].ToAddr, addr) {
			out = append(out, all[i])
		}
	}
	return out
}

// LastMail is the newest mail to addr of that kind; it fails the test when
// there is none.
func (e *Env) LastMail(t testing.TB, addr, kind string) store.OutboxMessage {
	t.Helper()
	mails := e.Mails(t, addr)
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].Kind == kind {
			return mails[i]
		}
	}
	t.Fatalf("no %s mail to %s", kind, addr)
	return store.OutboxMessage{}
}

// CodeIn finds the XXXX-XXXX code in a mail body.
func CodeIn(t testing.TB, body string) string {
	t.Helper()
	for _, f := range strings.Fields(body) {
		if len(f) == 9 && f[4] == '-' {
			if _, ok := auth.NormalizeCode(f); ok {
				return f
			}
		}
	}
	t.Fatalf("no code in mail:\n%s", body)
	return ""
}

// TokenIn finds the invitation token (the invite-TOKEN user name) in a mail.
func TokenIn(t testing.TB, body string) string {
	t.Helper()
	i := strings.Index(body, "invite-")
	if i < 0 {
		t.Fatalf("no invitation token in mail:\n%s", body)
	}
	rest := body[i+len("invite-"):]
	if j := strings.IndexByte(rest, '@'); j > 0 {
		return rest[:j]
	}
	t.Fatalf("no invitation token in mail:\n%s", body)
	return ""
}

// StrongPassword is a password the policy accepts for any test client.
const StrongPassword = "correct horse battery staple 42"

// AddActiveClient adds a client through the invitation flow and returns it
// active with StrongPassword.
func (e *Env) AddActiveClient(t testing.TB, email, name string) *portal.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Service.AddClient(ctx, e.Admin(), portal.NewClient{Email: email, Name: name}); err != nil {
		t.Fatal(err)
	}
	token := TokenIn(t, e.LastMail(t, email, portal.MailInvitation).Body)
	c, err := e.Service.AcceptInvitation(ctx, portal.Guest("127.0.0.1:1", "setup"), token, StrongPassword, StrongPassword)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ContractFields are the fields of the tests' "Contract review": one of
// every kind, in the order a form shows them (text, multiline, date,
// choice), as staff write them.
func ContractFields() []string {
	return []string{"Subject: text, required", "Details: multiline", "Deadline: date", "Urgency: choice(Low | Normal | High), required"}
}

// AddRequestType adds a request type with fields written as staff write
// them ("Subject: text, required").
func (e *Env) AddRequestType(t testing.TB, name string, fields ...string) *portal.RequestType {
	t.Helper()
	in := portal.TypeInput{Name: name, Description: "About " + name}
	for _, f := range fields {
		rf, err := portal.ParseFieldSpec(f)
		if err != nil {
			t.Fatalf("field %q: %v", f, err)
		}
		in.Fields = append(in.Fields, rf)
	}
	rt, err := e.Service.AddRequestType(context.Background(), e.Admin(), in)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// Submit files a request of type typeID as c, with values in the order of
// the type's fields.
func (e *Env) Submit(t testing.TB, c *portal.Client, typeID uint64, values ...string) *portal.Request {
	t.Helper()
	r, err := e.Service.SubmitRequest(context.Background(), ClientActor(c), typeID, values)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ClientByEmail is the client of that email as the portal shows it (a
// log in's view, which BindSession takes); it fails the test when there is
// none.
func (e *Env) ClientByEmail(t testing.TB, email string) *portal.Client {
	t.Helper()
	d, err := e.Service.ClientDetails(context.Background(), e.Admin(), email)
	if err != nil {
		t.Fatal(err)
	}
	return &d.Client
}

// ClientActor is client c logged in from a test address.
func ClientActor(c *portal.Client) portal.Actor {
	return portal.Guest("192.0.2.7:4000", "test-session").AsClient(c)
}

// InvalidUTF8 is invalid UTF-8 for a test to write straight into the store,
// as data from an old version might hold: on SQLite, which stores any
// bytes. PostgreSQL refuses invalid UTF-8 on write, so there it is empty.
func (e *Env) InvalidUTF8() string {
	if e.Store.Dialect() == "postgres" {
		return ""
	}
	return "\xff\xfe"
}

// BindSession binds a live session of c as a log in does, and waits until
// the database counts it (it hears of sessions a moment later).
func (e *Env) BindSession(t testing.TB, ctx context.Context, c *portal.Client, id string, end func()) {
	t.Helper()
	e.Service.BindSession(ctx, c, id, end)
	e.WaitSessionsRecorded(t, c.ID)
}

// WaitSessionsRecorded waits until the database counts as many live
// sessions of the client as this instance holds.
func (e *Env) WaitSessionsRecorded(t testing.TB, clientID uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := e.Store.CountLiveSessions(context.Background(), clientID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.Service.Sessions().Count(clientID); n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database counts %d live sessions of client %d, this instance %d", n, clientID, e.Service.Sessions().Count(clientID))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
