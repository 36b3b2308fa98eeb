package auth

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// Emailed codes (sign-up verification, password reset): 40 random bits as
// 8 Crockford base32 symbols, mailed as XXXX-XXXX.
const (
	CodeLen      = 8
	CodeTTL      = 10 * time.Minute
	CodeMaxTries = 5
)

const codeBytes = 5

// crockford is Crockford's base32: no I, L, O or U, so what is read off a
// screen or a printout is hard to mistype.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// maxCodeInput bounds what NormalizeCode looks at; no honest input comes
// near it.
const maxCodeInput = 64

// NewCode returns a fresh code in canonical form: CodeLen upper-case
// Crockford symbols, no dash. Store only HashSecret of it.
func NewCode() (string, error) {
	b := make([]byte, codeBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base32.NewEncoding(crockford).WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// FormatCode returns code as it is mailed and shown, "XXXX-XXXX". Input
// that NormalizeCode refuses is returned unchanged.
func FormatCode(code string) string {
	c, ok := NormalizeCode(code)
	if !ok {
		return code
	}
	return c[:CodeLen/2] + "-" + c[CodeLen/2:]
}

// NormalizeCode turns what a person typed into the canonical code. It
// accepts any case, surrounding spaces, at most one dash anywhere between
// symbols (Crockford: hyphens carry no value), and the aliases I and L for
// 1 and O for 0. Anything else, including U and non-ASCII letters, is
// refused.
func NormalizeCode(input string) (string, bool) {
	if len(input) > maxCodeInput {
		return "", false
	}
	s := strings.TrimSpace(input)
	if strings.Count(s, "-") > 1 || strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-") {
		return "", false
	}
	s = strings.Replace(s, "-", "", 1)
	if len(s) != CodeLen {
		return "", false
	}
	out := make([]byte, CodeLen)
	for i := 0; i < CodeLen; i++ {
		c := codeSymbol(s[i])
		if c == 0 {
			return "", false
		}
		out[i] = c
	}
	return string(out), true
}

// codeSymbol maps one typed byte to its canonical symbol, or 0.
func codeSymbol(c byte) byte {
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	switch c {
	case 'I', 'L':
		return '1'
	case 'O':
		return '0'
	}
	if strings.IndexByte(crockford, c) < 0 {
		return 0
	}
	return c
}
