package auth

import (
	"errors"
	"fmt"
)

// Params are argon2id cost parameters. They are stored in every PHC string,
// so raising them later only affects new hashes; Verify reports old ones
// as needing a rehash.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Limits on parameters accepted from a stored hash or a configuration.
// The upper bounds exist because a corrupt or hostile row could otherwise
// make a single login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB: some fifty times the default.
	maxTime      = 100
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

// ErrBadParams reports argon2id parameters outside the accepted limits.
var ErrBadParams = errors.New("auth: bad argon2id parameters")

// DefaultParams returns the OWASP minimum for argon2id, which DESIGN.md
// sets as the floor: m=19 MiB, t=2, p=1, 16-byte salt, 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Validate reports whether p is usable. It checks sanity, not strength:
// tests legitimately use cheaper parameters than DefaultParams.
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: time %d not in 1..%d", ErrBadParams, p.Time, maxTime)
	case p.Threads < 1:
		return fmt.Errorf("%w: threads must be at least 1", ErrBadParams)
	// argon2 silently rounds memory up below 8 KiB per lane; the PHC string
	// would then lie about the work done, so refuse instead.
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB not in %d..%d", ErrBadParams, p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("%w: salt length %d not in %d..%d", ErrBadParams, p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key length %d not in %d..%d", ErrBadParams, p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// weakerThan reports whether p costs less than q in any dimension that
// matters for a stored hash.
func (p Params) weakerThan(q Params) bool {
	return p.Memory < q.Memory || p.Time < q.Time || p.Threads < q.Threads ||
		p.SaltLen < q.SaltLen || p.KeyLen < q.KeyLen
}
