package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// dummyPassword only feeds VerifyDummy's reference hash; its value is
// irrelevant because the comparison result is discarded.
const dummyPassword = "portal dummy password for timing equalisation"

// ErrBusy is returned instead of a hash when the pool will not take the
// work: the session already has a hash queued or running, or the wait for
// a slot went past the queue timeout. Callers answer with
// "the portal is busy; try again in a moment".
var ErrBusy = errors.New("auth: the hashing pool is busy")

// Limits bound what one owner may put in the hashing pool, so that one
// session or one address hammering the log in cannot fill the queue and
// keep everybody else's hash waiting behind its own.
type Limits struct {
	// PerSession is how many hashes one session may have queued or
	// running at once; 0 means no limit.
	PerSession int
	// PerHost is how many hashes of one source host (the caller's host
	// key, an IPv6 /64 counting as one) may be in the pool's queue or
	// running at once; the host's further hashes wait in a line of their
	// own, behind nobody else's, so an office behind one address still
	// logs in, and a host sending many cannot keep the others waiting. 0
	// means no limit.
	PerHost int
	// QueueTimeout is how long an owned hash waits for a slot before it
	// gets ErrBusy; 0 means it waits as long as its context lets it.
	QueueTimeout time.Duration
}

// DefaultLimits are the portal's: a session types one password at a time,
// a household or an office behind one address rarely logs in more than
// four at once, and a person waits about 10 s before trying again anyway.
func DefaultLimits() Limits {
	return Limits{PerSession: 1, PerHost: 4, QueueTimeout: 10 * time.Second}
}

// Hasher hashes and verifies passwords with argon2id. Each hash holds
// Params.Memory KiB for its duration, so a Hasher admits at most a fixed
// number at once and makes the rest wait in arrival order: memory stays
// bounded under a login storm. A hash whose context names its owner (see
// WithHashOwner) is also held to the Limits of its session and its host.
// A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	limits Limits
	sem    chan struct{}
	dummy  string
	// derive is argon2.IDKey; tests swap it to observe concurrency.
	derive func(password, salt []byte, p Params) []byte

	mu       sync.Mutex
	sessions map[string]int       // hashes waiting, queued or running, by session
	hosts    map[string]*hostLine // each host's line, while it has hashes
}

// hostLine admits a host's hashes to the pool PerHost at a time; users
// counts those holding or waiting for one of its slots, so that the line
// goes when the last leaves.
type hostLine struct {
	slots chan struct{}
	users int
}

// NewHasher returns a Hasher using p for new hashes that runs at most
// concurrency hashes at once (runtime.NumCPU() when concurrency <= 0),
// with DefaultLimits for owned hashes. It panics if p fails Validate:
// parameters are configuration, and a server must not start with unusable
// ones.
func NewHasher(p Params, concurrency int) *Hasher {
	return NewHasherLimits(p, concurrency, DefaultLimits())
}

// NewHasherLimits is NewHasher with the given per-owner limits.
func NewHasherLimits(p Params, concurrency int, l Limits) *Hasher {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("auth.NewHasher: %v", err))
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	h := &Hasher{
		params: p, limits: l, sem: make(chan struct{}, concurrency), derive: idKey,
		sessions: map[string]int{}, hosts: map[string]*hostLine{},
	}
	h.dummy = h.hash([]byte(dummyPassword))
	return h
}

func idKey(password, salt []byte, p Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Params returns the parameters used for new hashes.
func (h *Hasher) Params() Params { return h.params }

// Limits returns the per-owner limits.
func (h *Hasher) Limits() Limits { return h.limits }

// hashOwner is who asks for a hash: the SSH session and the source host.
type hashOwner struct{ session, host string }

type hashOwnerKey struct{}

// WithHashOwner returns ctx marked with who is hashing: session is the SSH
// session's id and host the source address's host key (the same string the
// per-address limits use). Hash, Verify and VerifyDummy with such a
// context count against that session's and that host's Limits and give up
// with ErrBusy after the queue timeout; either may be "" to leave that
// bound out. Without an owner only the pool's size applies.
func WithHashOwner(ctx context.Context, session, host string) context.Context {
	return context.WithValue(ctx, hashOwnerKey{}, hashOwner{session: session, host: host})
}

func ownerOf(ctx context.Context) (hashOwner, bool) {
	o, ok := ctx.Value(hashOwnerKey{}).(hashOwner)
	return o, ok
}

// enter counts one more hash for o, refusing it when o's session already
// has as many as it may, and returns o's host line (nil for no host
// limit) with leave, which undoes the count.
func (h *Hasher) enter(o hashOwner) (line *hostLine, leave func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o.session != "" && h.limits.PerSession > 0 && h.sessions[o.session] >= h.limits.PerSession {
		return nil, nil, fmt.Errorf("%w: session has %d hashes in the pool", ErrBusy, h.sessions[o.session])
	}
	if o.session != "" {
		h.sessions[o.session]++
	}
	if o.host != "" && h.limits.PerHost > 0 {
		if line = h.hosts[o.host]; line == nil {
			line = &hostLine{slots: make(chan struct{}, h.limits.PerHost)}
			h.hosts[o.host] = line
		}
		line.users++
	}
	return line, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		// Entries go when they reach zero, so the maps hold only owners
		// with work in the pool, not every session ever seen.
		if o.session != "" {
			if h.sessions[o.session]--; h.sessions[o.session] == 0 {
				delete(h.sessions, o.session)
			}
		}
		if line != nil {
			if line.users--; line.users == 0 {
				delete(h.hosts, o.host)
			}
		}
	}, nil
}

type admittedKey struct{}

// Hold admits the owner named on ctx (WithHashOwner) for the hashes that
// follow on the returned context, until release: the session's and the
// host's places are taken now, and those hashes then wait only for a
// slot of the pool, which each holds just while it runs. A caller that
// must do something irreversible before its hash (count a log in attempt
// against the lockout) holds first, so that an owner over its limits is
// refused before anything was counted. Without an owner, Hold admits
// nothing and release does nothing.
func (h *Hasher) Hold(ctx context.Context) (held context.Context, release func(), err error) {
	o, owned := ownerOf(ctx)
	if !owned {
		return ctx, func() {}, nil
	}
	if err := ctx.Err(); err != nil {
		return ctx, nil, err
	}
	leave, err := h.admit(ctx, o)
	if err != nil {
		return ctx, nil, fmt.Errorf("auth: hold a hashing place: %w", err)
	}
	return context.WithValue(ctx, admittedKey{}, h), leave, nil
}

// admit counts o's hash and waits for one of its host's places, within
// the queue timeout; leave gives both back.
func (h *Hasher) admit(ctx context.Context, o hashOwner) (leave func(), err error) {
	line, out, err := h.enter(o)
	if err != nil {
		return nil, err
	}
	if line == nil {
		return out, nil
	}
	timeout, stop := h.queueTimer()
	defer stop()
	select {
	case line.slots <- struct{}{}:
		return func() { <-line.slots; out() }, nil
	case <-ctx.Done():
		out()
		return nil, ctx.Err()
	case <-timeout:
		out()
		return nil, h.busy()
	}
}

// queueTimer fires after the queue timeout, or never without one.
func (h *Hasher) queueTimer() (<-chan time.Time, func()) {
	if h.limits.QueueTimeout <= 0 {
		return nil, func() {}
	}
	t := time.NewTimer(h.limits.QueueTimeout)
	return t.C, func() { t.Stop() }
}

func (h *Hasher) busy() error {
	return fmt.Errorf("%w: no hashing slot within %s", ErrBusy, h.limits.QueueTimeout)
}

// acquire waits for a hashing slot. A context that is already done never
// starts a hash, even when a slot is free. Waiters get slots in the order
// they came: a channel's blocked senders are served first in, first out,
// and a freed slot goes to the first of them, never to a newcomer. An
// owned hash is first admitted (its session's and host's places), unless
// Hold admitted it already; then it waits for the pool within the queue
// timeout. An ownerless one waits as long as its context lets it.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, owned := ownerOf(ctx)
	if !owned {
		select {
		case h.sem <- struct{}{}:
			return func() { <-h.sem }, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	leave := func() {}
	if admitted, _ := ctx.Value(admittedKey{}).(*Hasher); admitted != h {
		if leave, err = h.admit(ctx, o); err != nil {
			return nil, err
		}
	}
	timeout, stop := h.queueTimer()
	defer stop()
	select {
	case h.sem <- struct{}{}:
		return func() { <-h.sem; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	case <-timeout:
		leave()
		return nil, h.busy()
	}
}

// Hash returns a PHC string for password, NFKC-normalised so that the
// same password typed on another keyboard or OS verifies.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", fmt.Errorf("auth: hash: %w", err)
	}
	defer release()
	return h.hash(normalize(password)), nil
}

func (h *Hasher) hash(password []byte) string {
	salt := make([]byte, h.params.SaltLen)
	// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24).
	_, _ = rand.Read(salt)
	return encodePHC(h.params, salt, h.derive(password, salt, h.params))
}

// Verify reports whether password matches encoded, a PHC string made by
// Hash with any acceptable parameters. needsRehash is true only for a
// match whose stored parameters are weaker than the Hasher's, so a caller
// can upgrade the row right after a successful login. A malformed or
// out-of-limits encoded string returns an error wrapping ErrMalformedHash.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, false, fmt.Errorf("auth: verify: %w", err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, fmt.Errorf("auth: verify: %w", err)
	}
	defer release()
	got := h.derive(normalize(password), salt, p)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p.weakerThan(h.params), nil
}

// VerifyDummy does the work of a failed Verify against a hash with the
// Hasher's own parameters. Call it when no account matches an email, so
// that the reply takes as long as for a wrong password. The only error is
// the context's.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, h.dummy, password)
	return err
}

func normalize(password string) []byte {
	return norm.NFKC.Bytes([]byte(password))
}
