package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash reports a stored password hash that cannot be parsed or
// carries parameters outside the accepted limits.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// b64 is strict so that a tampered final character (non-zero padding bits)
// is rejected rather than silently decoding to the same bytes. A function,
// not a variable, to keep the package free of mutable globals.
func b64() *base64.Encoding { return base64.RawStdEncoding.Strict() }

// maxPHCLen is well above the longest string the limits allow (about 270
// bytes), so a longer row is rejected before any decoding work.
const maxPHCLen = 512

// encodePHC renders the PHC string format used by the reference argon2
// implementation and most other libraries.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64().EncodeToString(salt), b64().EncodeToString(key))
}

// decodePHC parses s strictly: one spelling per hash, so that nothing odd
// in a row is quietly accepted.
func decodePHC(s string) (Params, []byte, []byte, error) {
	var p Params
	if len(s) > maxPHCLen {
		return p, nil, nil, fmt.Errorf("%w: %d bytes long", ErrMalformedHash, len(s))
	}
	// Six fields at most; a bound on Split keeps a huge bogus row cheap.
	parts := strings.SplitN(s, "$", 7)
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: want 5 $-separated fields", ErrMalformedHash)
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: algorithm %.20q", ErrMalformedHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: version %.20q", ErrMalformedHash, parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want m,t,p parameters", ErrMalformedHash)
	}
	m, err := phcUint(kv[0], "m=", 32)
	if err != nil {
		return p, nil, nil, err
	}
	t, err := phcUint(kv[1], "t=", 32)
	if err != nil {
		return p, nil, nil, err
	}
	th, err := phcUint(kv[2], "p=", 8)
	if err != nil {
		return p, nil, nil, err
	}
	salt, err := b64().DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	key, err := b64().DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: hash: %v", ErrMalformedHash, err)
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// phcUint parses "name=decimal" with no sign, no leading zeros and no
// whitespace, so every value has exactly one accepted spelling.
func phcUint(field, name string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(field, name)
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') || strings.ContainsAny(digits, "+-") {
		return 0, fmt.Errorf("%w: parameter %.20q", ErrMalformedHash, field)
	}
	v, err := strconv.ParseUint(digits, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %.20q: %v", ErrMalformedHash, field, err)
	}
	return v, nil
}
