package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store/dbtest"
)

// silence makes instance id last heard from ago: as if it had stopped
// beating then.
func silence(t *testing.T, s *Store, id string, ago time.Duration) {
	t.Helper()
	now, err := s.clock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Model(&Instance{}).Where("id = ?", id).Update("seen_at", now.Add(-ago)).Error; err != nil {
		t.Fatal(err)
	}
}

// TestOrphanedMailGoesBackOnlyFromGoneInstances: mail leased by an
// instance that stopped beating is handed back; mail leased by a live one
// is not; a clean stop hands back its own at once; an instance long gone
// is forgotten with its live sessions, and a silent one's sessions leave
// the counts until it beats again.
func TestOrphanedMailGoesBackOnlyFromGoneInstances(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	t0 := time.Now().UTC()
	for _, to := range []string{"a@x.com", "b@x.com", "c@x.com"} {
		if err := s.EnqueueMail(ctx, &OutboxMessage{Kind: "k", ToAddr: to, Subject: "s", Body: "b", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"alive", "dead", "stopping"} {
		if err := s.Heartbeat(ctx, id); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimMail(ctx, id, t0, time.Hour, 1); err != nil || len(got) != 1 {
			t.Fatalf("%s claims: %v %v", id, got, err)
		}
		if err := s.AddLiveSession(ctx, &LiveSession{ID: "session-on-" + id, ClientID: 7, Instance: id, StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CountLiveSessions(ctx, 7, time.Minute); err != nil || n != 3 {
		t.Fatalf("live sessions = %d, %v; want 3", n, err)
	}
	silence(t, s, "dead", 2*time.Minute)
	n, err := s.SweepGoneInstances(ctx, time.Minute, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("released %d, %v; want the dead instance's 1", n, err)
	}
	if n, err := s.CountLiveSessions(ctx, 7, time.Minute); err != nil || n != 2 {
		t.Fatalf("live sessions with one instance silent = %d, %v; want 2", n, err)
	}
	got, err := s.ClaimMail(ctx, "alive", t0, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claimable after the release: %d, %v; want 1", len(got), err)
	}
	if err := s.StopInstance(ctx, "stopping"); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimMail(ctx, "alive", t0, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claimable after a clean stop: %d, %v; want 1", len(got), err)
	}
	if n, err := s.CountLiveSessions(ctx, 7, time.Minute); err != nil || n != 1 {
		t.Fatalf("live sessions after a clean stop = %d, %v; want 1", n, err)
	}
	// The silent one beats again: its session counts again.
	if err := s.Heartbeat(ctx, "dead"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountLiveSessions(ctx, 7, time.Minute); err != nil || n != 2 {
		t.Fatalf("live sessions once it beats again = %d, %v; want 2", n, err)
	}
	// Gone long enough, an instance is forgotten, with its sessions.
	silence(t, s, "dead", 2*time.Hour)
	if _, err := s.SweepGoneInstances(ctx, time.Minute, time.Hour); err != nil {
		t.Fatal(err)
	}
	var left []Instance
	if err := s.db.Find(&left).Error; err != nil || len(left) != 1 || left[0].ID != "alive" {
		t.Fatalf("instances left: %+v %v", left, err)
	}
	var sessions []LiveSession
	if err := s.db.Find(&sessions).Error; err != nil || len(sessions) != 1 || sessions[0].Instance != "alive" {
		t.Fatalf("live sessions left: %+v %v", sessions, err)
	}
}

// TestStartInstanceOnSQLiteForgetsTheDead: SQLite is one process, so a
// start means the instances before it are gone and their mail goes back
// at once; on PostgreSQL others may be alive and are kept.
func TestStartInstanceOnSQLiteForgetsTheDead(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.EnqueueMail(ctx, &OutboxMessage{Kind: "k", ToAddr: "a@x.com", Subject: "s", Body: "b", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartInstance(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimMail(ctx, "before", now, time.Hour, 1); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	if err := s.StartInstance(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	n, err := s.SweepGoneInstances(ctx, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	if s.Dialect() == "sqlite" {
		want = 1
	}
	if n != want {
		t.Fatalf("on %s, a new instance released %d of the earlier one's messages, want %d", s.Dialect(), n, want)
	}
}

func TestSessionEndsInOrder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	last, err := s.LastSessionEndID(ctx)
	if err != nil || last != 0 {
		t.Fatalf("last of none = %d, %v", last, err)
	}
	for i := range 3 {
		if err := s.AddSessionEnd(ctx, &SessionEnd{ClientID: uint64(i + 1), Origin: "a", At: now.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	ends, err := s.SessionEndsAfter(ctx, 1, 10)
	if err != nil || len(ends) != 2 || ends[0].ClientID != 2 || ends[1].ClientID != 3 {
		t.Fatalf("after 1: %+v %v", ends, err)
	}
	if err := s.PruneSessionEnds(ctx, now.Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	ends, err = s.SessionEndsAfter(ctx, 0, 10)
	if err != nil || len(ends) != 1 || ends[0].ClientID != 3 {
		t.Fatalf("after pruning: %+v %v", ends, err)
	}
	if last, err := s.LastSessionEndID(ctx); err != nil || last != ends[0].ID {
		t.Fatalf("last = %d, %v", last, err)
	}
}

// TestSweepReadsOnlyLeasedMail: looking for the mail of gone instances
// reads the index of leased messages, not the queue, which may hold
// thousands while a mail server is down.
func TestSweepReadsOnlyLeasedMail(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	alive := s.with(ctx).Model(&Instance{}).Select("id").Where("seen_at >= ?", time.Now())
	plan := explain(t, s, s.with(ctx).Model(&OutboxMessage{}).Where(leasedByGone, alive))
	if !strings.Contains(plan, "idx_outbox_leased") {
		t.Fatalf("plan:\n%s", plan)
	}
}

// TestStaleOwnerCannotUndoTheNewOne: an instance taken for gone that comes
// back and records its failed attempt leaves alone the message another
// instance now holds, or has sent.
func TestStaleOwnerCannotUndoTheNewOne(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.EnqueueMail(ctx, &OutboxMessage{Kind: "k", ToAddr: "a@x.com", Subject: "s", Body: "b", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"slow", "other"} {
		if err := s.Heartbeat(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimMail(ctx, "slow", now, time.Hour, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	silence(t, s, "slow", 2*time.Minute)
	if n, err := s.SweepGoneInstances(ctx, time.Minute, time.Hour); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if got, err := s.ClaimMail(ctx, "other", now, time.Hour, 1); err != nil || len(got) != 1 {
		t.Fatalf("the other claims: %v %v", got, err)
	}
	if err := s.MarkMailFailed(ctx, "slow", got[0].ID, 5, time.Time{}, "550 gave up"); err != nil {
		t.Fatal(err)
	}
	var m OutboxMessage
	if err := s.db.First(&m, got[0].ID).Error; err != nil {
		t.Fatal(err)
	}
	if m.State != vocab.MailQueued || m.LeaseOwner != "other" || m.Body != "b" || m.Attempts != 0 {
		t.Fatalf("after the stale owner's failure: %+v", m)
	}
	if err := s.MarkMailSent(ctx, m.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkMailFailed(ctx, "slow", m.ID, 5, now.Add(time.Minute), "451 later"); err != nil {
		t.Fatal(err)
	}
	if err := s.db.First(&m, m.ID).Error; err != nil || m.State != vocab.MailSent {
		t.Fatalf("a sent mail marked failed by a stale owner: %+v %v", m, err)
	}
}

// TestSessionEndsBecomeVisibleInOrder: while one transaction that ended
// sessions is still open, a later one cannot commit its end first; a
// reader going by ID would otherwise move past the earlier one for good.
func TestSessionEndsBecomeVisibleInOrder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	firstAdded := make(chan struct{})
	commitFirst := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Tx(ctx, func(tx *Store) error {
			if err := tx.AddSessionEnd(ctx, &SessionEnd{ClientID: 1, At: time.Now().UTC()}); err != nil {
				return err
			}
			close(firstAdded)
			<-commitFirst
			return nil
		})
	}()
	<-firstAdded
	secondDone := make(chan error, 1)
	go func() { secondDone <- s.AddSessionEnd(ctx, &SessionEnd{ClientID: 2, At: time.Now().UTC()}) }()
	time.Sleep(300 * time.Millisecond)
	if ends, err := s.SessionEndsAfter(ctx, 0, 10); err != nil || len(ends) != 0 {
		t.Fatalf("while the first end is uncommitted a reader sees %+v (%v); a later end committed first", ends, err)
	}
	close(commitFirst)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	ends, err := s.SessionEndsAfter(ctx, 0, 10)
	if err != nil || len(ends) != 2 || ends[0].ClientID != 1 || ends[1].ClientID != 2 {
		t.Fatalf("ends: %+v %v; want client 1's, then client 2's", ends, err)
	}
}

// TestHeartbeatWhileThePoolIsBusy: with every connection of the pool
// taken, an instance still says it is alive, and sweeps: a busy instance
// must not look gone to the others.
func TestHeartbeatWhileThePoolIsBusy(t *testing.T) {
	dsn := dbtest.PostgresDSN(t) + "&pool_max_conns=2"
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
	}
	beatCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.Heartbeat(beatCtx, "busy"); err != nil {
		t.Fatalf("heartbeat with the pool taken: %v", err)
	}
	if _, err := s.SweepGoneInstances(beatCtx, time.Minute, time.Hour); err != nil {
		t.Fatalf("sweep with the pool taken: %v", err)
	}
}
