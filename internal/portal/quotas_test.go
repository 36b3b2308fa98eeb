package portal_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// quotaEnv is a client, Ann, with a one-field request type, on a clock the
// test moves.
func quotaEnv(t *testing.T) (*portaltest.Env, *portaltest.Clock, portal.Actor, *portal.RequestType) {
	t.Helper()
	clock := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clock.Now))
	rt := env.AddRequestType(t, "Advice", "Question: text, required")
	ann := env.AddActiveClient(t, "ann@x.com", "Ann Smith")
	return env, clock, portaltest.ClientActor(ann), rt
}

// rowCounts counts the rows an action writes: requests, request events,
// audit events and mails.
func rowCounts(t *testing.T, env *portaltest.Env) [4]int {
	t.Helper()
	ctx := context.Background()
	reqs, err := env.Store.ListRequests(ctx, store.RequestQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, r := range reqs {
		es, err := env.Store.RequestEvents(ctx, store.EventQuery{RequestID: r.ID, WithInternal: true})
		if err != nil {
			t.Fatal(err)
		}
		events += len(es)
	}
	audit, err := env.Store.ListAudit(ctx, vocab.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	mails, err := env.Store.ListMail(ctx, vocab.OutboxQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return [4]int{len(reqs), events, len(audit), len(mails)}
}

// requireQuota checks that err is the refusal key, that it reads in
// English with want in it, and that nothing was written.
func requireQuota(t *testing.T, env *portaltest.Env, err error, key, want string, before [4]int) {
	t.Helper()
	if got := refusalKey(t, err); got != key {
		t.Fatalf("refusal %s, want %s", got, key)
	}
	msg := portal.Message(env.Catalog.Printer(text.English), err)
	if !strings.Contains(msg, want) {
		t.Fatalf("refusal reads %q, want it to say %q", msg, want)
	}
	if after := rowCounts(t, env); after != before {
		t.Fatalf("a refused attempt wrote rows: requests, events, audit, mails %v → %v", before, after)
	}
}

func TestRequestQuotas(t *testing.T) {
	ctx := context.Background()
	env, clock, ann, rt := quotaEnv(t)
	svc := env.Service
	submit := func() (*portal.Request, error) { return svc.SubmitRequest(ctx, ann, rt.ID, []string{"May I sublet?"}) }

	// Ten an hour.
	for i := 0; i < portal.MaxRequestsPerHour; i++ {
		clock.Add(time.Minute)
		if _, err := submit(); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	clock.Add(20 * time.Minute) // the first was 29 min ago: it leaves the hour in 31
	before := rowCounts(t, env)
	_, err := submit()
	requireQuota(t, env, err, portal.KeyQuotaRequestsHour, "in 31 min", before)
	fr := portal.Message(env.Catalog.Printer(text.French), err)
	if !strings.Contains(fr, "dans 31 min") {
		t.Fatalf("French refusal: %q", fr)
	}
	clock.Add(31 * time.Minute)
	if _, err := submit(); err != nil {
		t.Fatalf("once the first left the hour: %v", err)
	}

	// Twenty open at once: the eleven of the first hour, nine more.
	clock.Add(time.Hour)
	for i := 0; i < portal.MaxOpenRequests-portal.MaxRequestsPerHour-1; i++ {
		if _, err := submit(); err != nil {
			t.Fatalf("open request %d: %v", i+12, err)
		}
	}
	clock.Add(time.Hour)
	before = rowCounts(t, env)
	_, err = submit()
	requireQuota(t, env, err, portal.KeyQuotaOpenRequests, "once the legal team has closed one", before)
	list, err := svc.MyRequests(ctx, ann, "", nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetRequestStatus(ctx, portal.System("sam"), list[0].ID, vocab.RequestRejected); err != nil {
		t.Fatal(err)
	}
	if _, err := submit(); err != nil {
		t.Fatalf("once one was closed: %v", err)
	}
}

func TestNoteQuotas(t *testing.T) {
	ctx := context.Background()
	env, clock, ann, rt := quotaEnv(t)
	svc := env.Service
	r, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{"May I sublet?"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{"And the annex?"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < portal.MaxNotesPerRequestPerHour; i++ {
		if err := svc.AddNote(ctx, ann, r.ID, "Here is more.", false); err != nil {
			t.Fatalf("note %d: %v", i+1, err)
		}
	}
	clock.Add(10 * time.Minute)
	before := rowCounts(t, env)
	err = svc.AddNote(ctx, ann, r.ID, "One too many.", false)
	requireQuota(t, env, err, portal.KeyQuotaNotesHour, "to request #1 in the last hour", before)
	if portal.FieldOf(err) != portal.FieldNote || !strings.Contains(portal.Message(env.Catalog.Printer(text.English), err), "in 50 min") {
		t.Fatalf("refusal %v: want it beside the note, saying 50 min", err)
	}
	// Another request, and the legal team, are not held by it.
	if err := svc.AddNote(ctx, ann, other.ID, "On the other one.", false); err != nil {
		t.Fatalf("note on another request: %v", err)
	}
	if err := svc.AddNote(ctx, portal.System("sam"), r.ID, "We read them all.", false); err != nil {
		t.Fatalf("staff note: %v", err)
	}
	clock.Add(50 * time.Minute)
	if err := svc.AddNote(ctx, ann, r.ID, "An hour later.", false); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}

func TestStorageQuota(t *testing.T) {
	ctx := context.Background()
	env, clock, ann, rt := quotaEnv(t)
	svc := env.Service
	r, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{"May I sublet?"})
	if err != nil {
		t.Fatal(err)
	}
	// What years of requests would hold: a request row whose fields take
	// all but a few bytes of the quota ("é" is two bytes, so the count is
	// of bytes, not characters).
	used, err := env.Store.ClientUsage(ctx, ann.ClientID, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	room := 100
	filler := strings.Repeat("é", int(portal.MaxStoredBytes-used.StoredBytes-int64(room))/2)
	old := clock.Now().Add(-30 * 24 * time.Hour)
	if err := env.Store.CreateRequest(ctx, &store.Request{
		ClientID: ann.ClientID, TypeID: rt.ID, TypeName: rt.Name, Fields: filler, Status: vocab.RequestDone,
		CreatedAt: old, UpdatedAt: old, ClientUpdatedAt: old, ClientSeenAt: old,
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, ann, r.ID, strings.Repeat("a", room/2), false); err != nil {
		t.Fatalf("a note within the room left: %v", err)
	}
	for _, try := range []struct {
		name string
		do   func() error
	}{
		{"note", func() error { return svc.AddNote(ctx, ann, r.ID, strings.Repeat("a", room), false) }},
		{"request", func() error {
			_, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{strings.Repeat("b", room)})
			return err
		}},
	} {
		before := rowCounts(t, env)
		requireQuota(t, env, try.do(), portal.KeyQuotaStorage, "5 MB", before)
	}
}

// TestQuotaHoldsUnderParallelAttempts sends many submissions and notes at
// once from one client: the count and the insert are one step, so exactly
// the quota gets through, whatever the interleaving.
func TestQuotaHoldsUnderParallelAttempts(t *testing.T) {
	ctx := context.Background()
	env, _, ann, rt := quotaEnv(t)
	svc := env.Service
	parallel := func(n int, do func() error) (ok int) {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- do()
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case portal.AsError(err) == nil:
				t.Errorf("not a refusal: %v", err)
			}
		}
		return ok
	}
	n := parallel(3*portal.MaxRequestsPerHour, func() error {
		_, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{"At once"})
		return err
	})
	if n != portal.MaxRequestsPerHour {
		t.Fatalf("%d parallel submissions got through, want %d", n, portal.MaxRequestsPerHour)
	}
	if got := rowCounts(t, env)[0]; got != portal.MaxRequestsPerHour {
		t.Fatalf("%d requests stored, want %d", got, portal.MaxRequestsPerHour)
	}
	list, err := svc.MyRequests(ctx, ann, "", nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	n = parallel(portal.MaxNotesPerRequestPerHour+15, func() error {
		return svc.AddNote(ctx, ann, list[0].ID, "At once", false)
	})
	if n != portal.MaxNotesPerRequestPerHour {
		t.Fatalf("%d parallel notes got through, want %d", n, portal.MaxNotesPerRequestPerHour)
	}
}

// TestRefusedQuotaNeedsNoWrite refuses a submission past the quota while
// another transaction holds the client's row (on PostgreSQL) and the write
// turn (on SQLite): the refusal comes from a read, so it does not wait.
func TestRefusedQuotaNeedsNoWrite(t *testing.T) {
	ctx := context.Background()
	env, _, ann, rt := quotaEnv(t)
	svc := env.Service
	for i := 0; i < portal.MaxRequestsPerHour; i++ {
		if _, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{"Question"}); err != nil {
			t.Fatal(err)
		}
	}
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- env.Store.Tx(ctx, func(tx *store.Store) error {
			if err := tx.LockClient(ctx, ann.ClientID); err != nil {
				return err
			}
			// A write, so that SQLite takes its lock as PostgreSQL has
			// the row's.
			if err := tx.AddAudit(ctx, &store.AuditEvent{At: time.Now(), ActorKind: vocab.ActorSystem, Actor: "test", Action: "hold"}); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	// Generous: a write would wait for the holder, which waits for this.
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := svc.SubmitRequest(waitCtx, ann, rt.ID, []string{"Question"})
	close(release)
	if herr := <-done; herr != nil {
		t.Fatal(herr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the refusal waited for the write turn")
	}
	if refusalKey(t, err) != portal.KeyQuotaRequestsHour {
		t.Fatalf("err = %v", err)
	}
}

// TestTeamNoticesAreOnePerClient: what one client does within a minute,
// on however many requests, is one mail to the legal team listing it all;
// another client's is another mail; after a mail went out the next waits
// a minute.
func TestTeamNoticesAreOnePerClient(t *testing.T) {
	ctx := context.Background()
	env, clock, ann, rt := quotaEnv(t)
	svc := env.Service
	bob := portaltest.ClientActor(env.AddActiveClient(t, "bob@x.com", "Bob Jones"))
	var ids []uint64
	for i := 0; i < 5; i++ {
		r, err := svc.SubmitRequest(ctx, ann, rt.ID, []string{"Question"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		clock.Add(5 * time.Second)
	}
	for _, id := range ids[:3] {
		if err := svc.AddNote(ctx, ann, id, "More.", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SubmitRequest(ctx, bob, rt.ID, []string{"Mine"}); err != nil {
		t.Fatal(err)
	}
	team := env.Mails(t, portaltest.TeamEmail)
	if len(team) != 2 {
		t.Fatalf("%d team mails, want one for Ann and one for Bob", len(team))
	}
	m := team[0]
	if m.Subject != "5 requests from Ann Smith have news" || strings.Count(m.Body, "\n- ") != 8 ||
		strings.Count(m.Body, "submitted.") != 5 || strings.Count(m.Body, "a new note from the client on request #") != 3 ||
		!strings.Contains(m.Body, "requests list --client ann@x.com") || strings.Contains(m.Body, "More.") {
		t.Fatalf("Ann's team mail:\n%s\n%s", m.Subject, m.Body)
	}
	if b := team[1]; !strings.Contains(b.Subject, "from Bob Jones") || !strings.Contains(b.Body, "requests show 6") {
		t.Fatalf("Bob's team mail:\n%s\n%s", b.Subject, b.Body)
	}

	// Claimed: the next change waits a minute from then.
	claimedAt := clock.Now()
	if _, err := env.Store.ClaimMail(ctx, "test", claimedAt, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, ann, ids[4], "Later.", false); err != nil {
		t.Fatal(err)
	}
	team = env.Mails(t, portaltest.TeamEmail)
	if len(team) != 3 {
		t.Fatalf("%d team mails, want 3", len(team))
	}
	if gap := team[2].NextAttemptAt.Sub(claimedAt); gap < portal.NoticeSpacing || strings.Count(team[2].Body, "\n- ") != 1 {
		t.Fatalf("next notice due %s after the claim, body:\n%s", gap, team[2].Body)
	}
}
