package auth

import (
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/text/unicode/norm"
)

// Password length limits, in Unicode code points after NFKC (NIST SP
// 800-63B rev 4 for passwords used as a single factor).
const (
	MinPasswordLen = 15
	MaxPasswordLen = 128
)

// minStrengthScore is the lowest zxcvbn score (0..4) accepted.
const minStrengthScore = 3

// zxcvbnMaxRunes bounds the input given to zxcvbn. Its matchers look at
// every substring, so its time grows about with the cube of the length
// (measured: some 20 ms at 100 code points, 45 ms at 128, 2 s at 500).
// Characters beyond the prefix can only add guesses, so a prefix that
// scores well vouches for the whole; the rare password whose strength lies
// only past its 100th code point is refused, which is acceptable.
const zxcvbnMaxRunes = 100

// maxPolicyBytes rejects absurd input before NFKC does any work. NFKC can
// shrink text only by composing a base with a few marks, so nothing this
// long can come down to MaxPasswordLen code points.
const maxPolicyBytes = 8 * 1024

// PolicyReason says why CheckPassword refused a password. Callers map it
// to a catalog key.
type PolicyReason string

// Reasons, in the order CheckPassword tests them.
const (
	ReasonInvalid    PolicyReason = "invalid"     // invalid UTF-8 or a control character
	ReasonTooShort   PolicyReason = "too_short"   // fewer than MinPasswordLen code points
	ReasonTooLong    PolicyReason = "too_long"    // more than MaxPasswordLen code points
	ReasonTooSimilar PolicyReason = "too_similar" // mostly made of the email or name
	ReasonTooCommon  PolicyReason = "too_common"  // zxcvbn score below 3
)

// PolicyError is the error CheckPassword returns for a refused password.
type PolicyError struct {
	Reason PolicyReason
}

func (e *PolicyError) Error() string {
	return "auth: password refused: " + string(e.Reason)
}

// CheckPassword applies the password policy for an account with the given
// email and name. It returns nil or a *PolicyError. There are no
// composition rules and spaces are allowed; the checks, in order, are:
//
//   - invalid: not valid UTF-8, or contains a C0 control, DEL or a C1
//     control (these cannot be typed reliably and may be terminal escapes);
//   - too short / too long: fewer than MinPasswordLen or more than
//     MaxPasswordLen code points after NFKC;
//   - too similar: see similarToIdentity;
//   - too common: zxcvbn scores it below 3, counting the email, its parts
//     and the name words as known to the attacker.
func CheckPassword(password, email, name string) error {
	if !utf8.ValidString(password) || hasControl(password) {
		return &PolicyError{Reason: ReasonInvalid}
	}
	if len(password) > maxPolicyBytes {
		return &PolicyError{Reason: ReasonTooLong}
	}
	pw := norm.NFKC.String(password)
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLen:
		return &PolicyError{Reason: ReasonTooShort}
	case n > MaxPasswordLen:
		return &PolicyError{Reason: ReasonTooLong}
	}
	inputs := identityWords(email, name)
	if similarToIdentity(pw, inputs) {
		return &PolicyError{Reason: ReasonTooSimilar}
	}
	if zxcvbn.PasswordStrength(firstRunes(pw, zxcvbnMaxRunes), inputs).Score < minStrengthScore {
		return &PolicyError{Reason: ReasonTooCommon}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
