package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestOrphanedMailGoesBackOnlyFromGoneInstances: mail leased by an
// instance that stopped beating is handed back; mail leased by a live one
// is not; a clean stop hands back its own at once.
func TestOrphanedMailGoesBackOnlyFromGoneInstances(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Second)
	for _, to := range []string{"a@x.com", "b@x.com", "c@x.com"} {
		if err := s.EnqueueMail(ctx, &OutboxMessage{Kind: "k", ToAddr: to, Subject: "s", Body: "b", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"alive", "dead", "stopping"} {
		if err := s.Heartbeat(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimMail(ctx, id, t0, time.Hour, 1); err != nil || len(got) != 1 {
			t.Fatalf("%s claims: %v %v", id, got, err)
		}
	}
	later := t0.Add(30 * time.Second)
	for _, id := range []string{"alive", "stopping"} {
		if err := s.Heartbeat(ctx, id, later); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.SweepGoneInstances(ctx, later.Add(-10*time.Second), t0.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("released %d, %v; want the dead instance's 1", n, err)
	}
	got, err := s.ClaimMail(ctx, "alive", later, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claimable after the release: %d, %v; want 1", len(got), err)
	}
	if err := s.StopInstance(ctx, "stopping"); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimMail(ctx, "alive", later, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claimable after a clean stop: %d, %v; want 1", len(got), err)
	}
	// Gone long enough, an instance is forgotten.
	if _, err := s.SweepGoneInstances(ctx, later, later); err != nil {
		t.Fatal(err)
	}
	var left []Instance
	if err := s.db.Find(&left).Error; err != nil || len(left) != 1 || left[0].ID != "alive" {
		t.Fatalf("instances left: %+v %v", left, err)
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
	if err := s.StartInstance(ctx, "before", now); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimMail(ctx, "before", now, time.Hour, 1); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	if err := s.StartInstance(ctx, "after", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := s.SweepGoneInstances(ctx, now.Add(-time.Minute), now.Add(-time.Hour))
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
