package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/clientportal/portal/internal/text"
)

// Queue is the outbox as the worker sees it; the store implements it.
type Queue interface {
	// Claim leases up to limit messages that are due at now (queued, or
	// whose previous lease expired) for lease; no other worker gets them
	// until the lease ends.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Queued, error)
	MarkSent(ctx context.Context, id uint64, at time.Time) error
	// MarkFailed records a failed attempt; next is when to try again, or the
	// zero time when the failure is permanent (the message is then 'failed'
	// for good).
	MarkFailed(ctx context.Context, id uint64, attempts int, next time.Time, lastErr string) error
}

// Queued is a claimed outbox row.
type Queued struct {
	ID       uint64
	Attempts int // before this try
	Message  Message
}

// WorkerOptions tunes a Worker; zero fields take the defaults.
type WorkerOptions struct {
	Poll        time.Duration    // how often to look for due mail without a Wake (1s)
	Lease       time.Duration    // how long a claim keeps other workers off (2m)
	Batch       int              // messages claimed at once (50)
	Concurrency int              // sends in flight at once (8)
	Now         func() time.Time // the clock (time.Now)
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// recordTimeout bounds a MarkSent or MarkFailed that runs after Run's
// context ended: the outcome of a send must still reach the database, or a
// sent message would be sent again.
const recordTimeout = 10 * time.Second

// interrupted is the lastErr of a message whose send was cut short by
// shutdown. It is not counted as an attempt.
const interrupted = "interrupted by shutdown"

// Worker delivers the outbox: at least once, with Backoff between attempts.
// Several workers, in one process or many, may share a Queue; the lease
// keeps them from sending the same message at once.
type Worker struct {
	q    Queue
	s    Sender
	log  *slog.Logger
	opts WorkerOptions
	wake chan struct{}
}

// NewWorker returns a worker taking mail from q and handing it to s.
func NewWorker(q Queue, s Sender, log *slog.Logger, opts WorkerOptions) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{q: q, s: s, log: log, opts: opts.withDefaults(), wake: make(chan struct{}, 1)}
}

// Wake makes the worker look for due mail now rather than at the next poll,
// so a message queued by a person's action goes out at once. It never
// blocks; wakes that arrive while one is pending merge into it.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers due mail until ctx ends, then waits for the sends in flight
// and records their outcome before returning nil. A send cut short by the
// shutdown is handed back to the queue, due at once and not counted as an
// attempt, so another instance (or the next start) sends it.
func (w *Worker) Run(ctx context.Context) error {
	if w.q == nil || w.s == nil {
		return errors.New("mail worker: nil queue or sender")
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		full := w.runBatch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if full {
			// More may be due right away; don't wait for the poll.
			continue
		}
		timer.Reset(w.opts.Poll)
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// runBatch claims one batch and delivers it, returning once every message
// of it is recorded. It reports whether the batch was full.
//
// Waiting for the whole batch before claiming again means that no claimed
// message waits for a free slot for long; Lease must exceed
// ceil(Batch/Concurrency) send timeouts, and a message is skipped if its
// lease has run out before its turn comes.
func (w *Worker) runBatch(ctx context.Context) bool {
	claimedAt := w.opts.Now()
	batch, err := w.claim(ctx, claimedAt)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("mail outbox: claim failed", "err", text.Sanitize(err.Error()))
		}
		return false
	}
	leaseEnd := claimedAt.Add(w.opts.Lease)
	// Keep a margin so a send still in progress when the lease ends stays
	// unlikely; another worker could claim the message from then on.
	safeEnd := leaseEnd.Add(-w.opts.Lease / 10)
	sem := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	for _, item := range batch {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			w.release(ctx, item)
			continue
		}
		if !w.opts.Now().Before(safeEnd) {
			// Another worker may own it by now; leave it to the next claim.
			<-sem
			w.log.Warn("mail outbox: lease ran out before sending; lengthen Lease or shrink Batch",
				"id", item.ID)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.deliver(ctx, item)
		}()
	}
	wg.Wait()
	return len(batch) == w.opts.Batch
}

// claim calls Queue.Claim, turning a panic in it into an error so a broken
// store cannot take the worker down.
func (w *Worker) claim(ctx context.Context, now time.Time) (batch []Queued, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("claim panicked: %v", r)
			w.log.Error("mail outbox: panic in claim", "panic", text.Sanitize(fmt.Sprint(r)),
				"stack", string(debug.Stack()))
		}
	}()
	batch, err = w.q.Claim(ctx, now, w.opts.Lease, w.opts.Batch)
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return batch, nil
}

// deliver sends one message and records the outcome.
func (w *Worker) deliver(ctx context.Context, item Queued) {
	defer func() {
		if r := recover(); r != nil {
			// Our bug, not the message's: retry with backoff rather than fail
			// it for good, so a fixed release still sends it.
			w.log.Error("mail outbox: panic while sending", "id", item.ID,
				"panic", text.Sanitize(fmt.Sprint(r)), "stack", string(debug.Stack()))
			w.recordFailure(ctx, item, fmt.Errorf("internal error: panic while sending: %v", r))
		}
	}()
	err := w.s.Send(ctx, item.Message)
	switch {
	case err == nil:
		w.recordSent(ctx, item)
	case ctx.Err() != nil && !IsPermanent(err):
		w.release(ctx, item)
	default:
		w.recordFailure(ctx, item, err)
	}
}

func (w *Worker) recordSent(ctx context.Context, item Queued) {
	defer w.recoverRecord(item.ID)
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := w.q.MarkSent(rctx, item.ID, w.opts.Now()); err != nil {
		// The message went out but the queue does not know: it will be sent
		// again when the lease ends. At least once, as promised.
		w.log.Error("mail outbox: sent but could not record it; it may be sent twice",
			"id", item.ID, "err", text.Sanitize(err.Error()))
		return
	}
	w.log.Debug("mail outbox: sent", "id", item.ID, "attempt", item.Attempts+1)
}

func (w *Worker) recordFailure(ctx context.Context, item Queued, sendErr error) {
	defer w.recoverRecord(item.ID)
	attempts := item.Attempts + 1
	msg := text.Sanitize(sendErr.Error())
	var next time.Time
	if IsPermanent(sendErr) {
		w.log.Error("mail outbox: permanent failure, giving up", "id", item.ID,
			"attempt", attempts, "err", msg)
	} else {
		wait := Backoff(attempts)
		next = w.opts.Now().Add(wait)
		w.log.Warn("mail outbox: send failed, will retry", "id", item.ID,
			"attempt", attempts, "retry_in", wait.Round(time.Second), "err", msg)
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := w.q.MarkFailed(rctx, item.ID, attempts, next, msg); err != nil {
		w.log.Error("mail outbox: could not record failure; retried when the lease ends",
			"id", item.ID, "err", text.Sanitize(err.Error()))
	}
}

// release hands a message back, due now, without counting an attempt: the
// shutdown, not the message, stopped it.
func (w *Worker) release(ctx context.Context, item Queued) {
	defer w.recoverRecord(item.ID)
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := w.q.MarkFailed(rctx, item.ID, item.Attempts, w.opts.Now(), interrupted); err != nil {
		w.log.Warn("mail outbox: could not hand back message at shutdown; retried when the lease ends",
			"id", item.ID, "err", text.Sanitize(err.Error()))
	}
}

// recordContext outlives ctx's cancellation, bounded by recordTimeout, so
// the outcome of a send in flight at shutdown is still written.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// recoverRecord keeps a panicking Queue from taking the worker down while it
// records an outcome; the lease expiring brings the message back.
func (w *Worker) recoverRecord(id uint64) {
	if r := recover(); r != nil {
		w.log.Error("mail outbox: panic while recording an outcome", "id", id,
			"panic", text.Sanitize(fmt.Sprint(r)), "stack", string(debug.Stack()))
	}
}
