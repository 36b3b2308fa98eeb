package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// memQueue is the outbox table in memory, with the lease semantics the
// store gives it.
type memQueue struct {
	mu     sync.Mutex
	rows   []*memRow
	claims int
}

type memRow struct {
	id         uint64
	msg        Message
	state      string // queued, sent, failed
	attempts   int
	next       time.Time
	leaseUntil time.Time
	lastErr    string
	nexts      []time.Time // every next handed to MarkFailed
}

func (q *memQueue) add(m Message) uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := uint64(len(q.rows) + 1)
	m.ID = strconv.FormatUint(id, 10)
	q.rows = append(q.rows, &memRow{id: id, msg: m, state: "queued"})
	return id
}

func (q *memQueue) Claim(_ context.Context, now time.Time, lease time.Duration, limit int) ([]Queued, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.claims++
	var out []Queued
	for _, r := range q.rows {
		if len(out) == limit {
			break
		}
		if r.state == "queued" && !r.next.After(now) && !r.leaseUntil.After(now) {
			r.leaseUntil = now.Add(lease)
			out = append(out, Queued{ID: r.id, Attempts: r.attempts, Message: r.msg})
		}
	}
	return out, nil
}

func (q *memQueue) MarkSent(_ context.Context, id uint64, _ time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.rows[id-1]
	r.state, r.leaseUntil = "sent", time.Time{}
	return nil
}

func (q *memQueue) MarkFailed(_ context.Context, id uint64, attempts int, next time.Time, lastErr string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.rows[id-1]
	r.attempts, r.next, r.lastErr, r.leaseUntil = attempts, next, lastErr, time.Time{}
	r.nexts = append(r.nexts, next)
	r.state = "queued"
	if next.IsZero() {
		r.state = "failed"
	}
	return nil
}

func (q *memQueue) row(id uint64) memRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.rows[id-1]
}

func (q *memQueue) count(pred func(memRow) bool) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, r := range q.rows {
		if pred(*r) {
			n++
		}
	}
	return n
}

func (q *memQueue) claimCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.claims
}

// fakeClock drives due times and leases; polling still uses real timers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startWorker runs w until the test ends and checks Run returns nil.
func startWorker(t testing.TB, w *Worker) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return cancel
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func isSent(r memRow) bool { return r.state == "sent" }

func TestWorkerDeliversToDir(t *testing.T) {
	dir := t.TempDir()
	d, err := NewDirSender(dir)
	if err != nil {
		t.Fatal(err)
	}
	q := &memQueue{}
	const n = 25
	for i := range n {
		m := sampleMessage("")
		m.Subject = fmt.Sprintf("Message %d", i+1)
		q.add(m)
	}
	w := NewWorker(q, d, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond, Batch: 10, Concurrency: 3})
	startWorker(t, w)
	waitFor(t, "all sent", func() bool { return q.count(isSent) == n })
	for i := 1; i <= n; i++ {
		raw, err := os.ReadFile(filepath.Join(dir, FileName(strconv.Itoa(i))))
		if err != nil {
			t.Fatal(err)
		}
		if p := parseMessage(t, raw); p.Subject != fmt.Sprintf("Message %d", i) {
			t.Errorf("file %d has subject %q", i, p.Subject)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != n {
		t.Errorf("%d files for %d messages", len(entries), n)
	}
}

func TestWorkerWake(t *testing.T) {
	q := &memQueue{}
	d, err := NewDirSender(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(q, d, testLogger(t), WorkerOptions{Poll: time.Hour})
	startWorker(t, w)
	waitFor(t, "first claim", func() bool { return q.claimCount() == 1 })
	id := q.add(sampleMessage(""))
	w.Wake()
	w.Wake() // merges with the first; must not block
	waitFor(t, "woken delivery", func() bool { return q.row(id).state == "sent" })
}

// TestWorkerSMTPOutage: the relay goes down, mail backs off and waits, the
// relay comes back, and every message arrives exactly once.
func TestWorkerSMTPOutage(t *testing.T) {
	tlsConf := newTestTLS(t)
	ts := startTestServer(t, &testServer{tls: &tlsConf, user: "portal", pass: "s3cret"})
	s, err := NewSMTPSender(ts.url(), WithTLSConfig(tlsConf.client), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	port := ts.port()
	ts.down()

	q := &memQueue{}
	const n = 30
	for range n {
		q.add(sampleMessage(""))
	}
	clock := newFakeClock()
	w := NewWorker(q, s, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond, Batch: 8, Now: clock.Now})
	startWorker(t, w)

	var prevWait time.Duration
	for attempt := 1; attempt <= 4; attempt++ {
		waitFor(t, fmt.Sprintf("failure %d of every message", attempt), func() bool {
			return q.count(func(r memRow) bool { return r.attempts == attempt }) == n
		})
		for id := uint64(1); id <= n; id++ {
			r := q.row(id)
			if r.state != "queued" {
				t.Fatalf("message %d is %s after a refused connection: %s", id, r.state, r.lastErr)
			}
			wait := r.next.Sub(clock.Now())
			base := firstBackoff << (attempt - 1)
			if wait < base || wait > base+base/10 {
				t.Errorf("attempt %d: wait %v, want %v plus up to 10%%", attempt, wait, base)
			}
			if wait <= prevWait {
				t.Errorf("attempt %d: wait %v did not grow from %v", attempt, wait, prevWait)
			}
		}
		prevWait = firstBackoff << (attempt - 1)
		// Nothing is due before its backoff ends, however often we poll.
		time.Sleep(30 * time.Millisecond)
		if got := q.count(func(r memRow) bool { return r.attempts != attempt }); got != 0 {
			t.Fatalf("%d messages retried before their backoff ended", got)
		}
		clock.Advance(prevWait + prevWait/10 + time.Second)
	}

	ts.up("127.0.0.1:" + port)
	w.Wake()
	waitFor(t, "all sent after the relay came back", func() bool { return q.count(isSent) == n })

	seen := map[string]int{}
	for _, r := range ts.received() {
		seen[parseMessage(t, r.Data).MessageID]++
	}
	if len(seen) != n {
		t.Errorf("server got %d distinct messages, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s arrived %d times", id, c)
		}
	}
}

func TestWorkerPermanentFailures(t *testing.T) {
	tlsConf := newTestTLS(t)
	ts := startTestServer(t, &testServer{tls: &tlsConf, rcptErr: &smtp.SMTPError{Code: 550, Message: "mailbox unavailable"}})
	s, err := NewSMTPSender(ts.url(), WithTLSConfig(tlsConf.client))
	if err != nil {
		t.Fatal(err)
	}
	q := &memQueue{}
	refused := q.add(sampleMessage(""))
	bad := sampleMessage("")
	bad.To = "no address here"
	malformed := q.add(bad)
	w := NewWorker(q, s, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond})
	startWorker(t, w)
	for _, id := range []uint64{refused, malformed} {
		waitFor(t, "failed for good", func() bool { return q.row(id).state == "failed" })
		if r := q.row(id); r.attempts != 1 || !r.next.IsZero() || r.lastErr == "" {
			t.Errorf("row %d: %+v", id, r)
		}
	}
}

// blockingSender blocks every Send until its context ends.
type blockingSender struct{ started chan struct{} }

func (b *blockingSender) Send(ctx context.Context, _ Message) error {
	b.started <- struct{}{}
	<-ctx.Done()
	return fmt.Errorf("send: %w", ctx.Err())
}

func TestWorkerShutdownIsNotFailure(t *testing.T) {
	q := &memQueue{}
	for range 5 {
		q.add(sampleMessage(""))
	}
	b := &blockingSender{started: make(chan struct{}, 5)}
	w := NewWorker(q, b, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond, Concurrency: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-b.started
	<-b.started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= 5; id++ {
		r := q.row(id)
		if r.state != "queued" || r.attempts != 0 {
			t.Errorf("message %d after shutdown: state %s, attempts %d, %q", id, r.state, r.attempts, r.lastErr)
		}
		if r.leaseUntil.After(time.Now()) {
			t.Errorf("message %d still leased after shutdown", id)
		}
	}
}

// panickySender panics on one message and counts the others.
type panickySender struct {
	bad  string
	sent atomic.Int64
}

func (p *panickySender) Send(_ context.Context, m Message) error {
	if m.ID == p.bad {
		panic("boom")
	}
	p.sent.Add(1)
	return nil
}

func TestWorkerRecoversFromPanic(t *testing.T) {
	q := &memQueue{}
	for range 4 {
		q.add(sampleMessage(""))
	}
	p := &panickySender{bad: "2"}
	w := NewWorker(q, p, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond})
	startWorker(t, w)
	waitFor(t, "the others sent", func() bool { return q.count(isSent) == 3 })
	waitFor(t, "the panic recorded", func() bool { return q.row(2).attempts == 1 })
	if r := q.row(2); r.state != "queued" || r.next.IsZero() {
		t.Errorf("panicked message: %+v", r)
	}
	// Still running: a new message goes out.
	id := q.add(sampleMessage(""))
	w.Wake()
	waitFor(t, "delivery after the panic", func() bool { return q.row(id).state == "sent" })
}

// countingSender counts sends per message ID, slowly enough that workers
// overlap.
type countingSender struct {
	mu    sync.Mutex
	count map[string]int
}

func (c *countingSender) Send(_ context.Context, m Message) error {
	time.Sleep(time.Millisecond)
	c.mu.Lock()
	c.count[m.ID]++
	c.mu.Unlock()
	return nil
}

// TestWorkersShareQueue: several instances on one outbox send each message
// once, as with FOR UPDATE SKIP LOCKED in PostgreSQL.
func TestWorkersShareQueue(t *testing.T) {
	q := &memQueue{}
	const n = 200
	for range n {
		q.add(sampleMessage(""))
	}
	c := &countingSender{count: map[string]int{}}
	for range 3 {
		startWorker(t, NewWorker(q, c, testLogger(t), WorkerOptions{Poll: 5 * time.Millisecond, Batch: 7, Concurrency: 4}))
	}
	waitFor(t, "all sent", func() bool { return q.count(isSent) == n })
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.count) != n {
		t.Errorf("%d distinct messages sent, want %d", len(c.count), n)
	}
	for id, k := range c.count {
		if k != 1 {
			t.Errorf("message %s sent %d times", id, k)
		}
	}
}

// failingQueue fails every claim; the worker must keep going.
type failingQueue struct {
	memQueue
	claims atomic.Int64
}

func (f *failingQueue) Claim(context.Context, time.Time, time.Duration, int) ([]Queued, error) {
	if f.claims.Add(1)%2 == 0 {
		panic("store exploded")
	}
	return nil, errors.New("database is locked")
}

func TestWorkerSurvivesQueueErrors(t *testing.T) {
	q := &failingQueue{}
	w := NewWorker(q, &countingSender{count: map[string]int{}}, testLogger(t), WorkerOptions{Poll: time.Millisecond})
	startWorker(t, w)
	waitFor(t, "repeated claims", func() bool { return q.claims.Load() > 5 })
}

func BenchmarkWorkerSMTP(b *testing.B) {
	tlsConf := newTestTLS(b)
	ts := startTestServer(b, &testServer{tls: &tlsConf, user: "portal", pass: "s3cret"})
	s, err := NewSMTPSender(ts.url(), WithTLSConfig(tlsConf.client))
	if err != nil {
		b.Fatal(err)
	}
	q := &memQueue{}
	for range b.N {
		q.add(sampleMessage(""))
	}
	w := NewWorker(q, s, slog.New(slog.DiscardHandler), WorkerOptions{Poll: 5 * time.Millisecond})
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for q.count(isSent) < b.N {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	if got := len(ts.received()); got != b.N {
		b.Fatalf("server got %d of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "mails/s")
}
