package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
)

// TokenLen is the length of an invitation token: 160 random bits in
// base32 make exactly 32 characters, with no padding.
const TokenLen = 32

const tokenBytes = 20

// tokenAlphabet is RFC 4648 base32 in lower case, because the token is
// typed as part of an SSH user name, invite-TOKEN, where lower case is the
// norm and no character needs quoting.
const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// NewToken returns a fresh invitation token of TokenLen characters from
// [a-z2-7]. Store only HashSecret of it.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24); the
	// error result is kept so callers need not change if that ever does.
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base32.NewEncoding(tokenAlphabet).WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// ValidTokenSyntax reports whether s could be a token made by NewToken.
// Callers check it before any lookup so junk never reaches the store.
func ValidTokenSyntax(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// HashSecret returns the hex SHA-256 of a token or code, which is what the
// store keeps. A fast hash is enough: the secrets are random, not chosen.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// EqualHash compares two HashSecret values in constant time.
func EqualHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
