package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// dummyPassword only feeds VerifyDummy's reference hash; its value is
// irrelevant because the comparison result is discarded.
const dummyPassword = "portal dummy password for timing equalisation"

// Hasher hashes and verifies passwords with argon2id. Each hash holds
// Params.Memory KiB for its duration, so a Hasher admits at most a fixed
// number at once and makes the rest wait: memory stays bounded under a
// login storm. A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string
	// derive is argon2.IDKey; tests swap it to observe concurrency.
	derive func(password, salt []byte, p Params) []byte
}

// NewHasher returns a Hasher using p for new hashes that runs at most
// concurrency hashes at once (runtime.NumCPU() when concurrency <= 0).
// It panics if p fails Validate: parameters are configuration, and a
// server must not start with unusable ones.
func NewHasher(p Params, concurrency int) *Hasher {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("auth.NewHasher: %v", err))
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	h := &Hasher{params: p, sem: make(chan struct{}, concurrency), derive: idKey}
	h.dummy = h.hash([]byte(dummyPassword))
	return h
}

func idKey(password, salt []byte, p Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Params returns the parameters used for new hashes.
func (h *Hasher) Params() Params { return h.params }

// acquire waits for a hashing slot. A context that is already done never
// starts a hash, even when a slot is free.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.sem <- struct{}{}:
		return func() { <-h.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
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
