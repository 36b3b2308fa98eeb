// Package emailaddr is the one form an email address is stored, compared
// and mailed in, so that two addresses a person cannot tell apart are one
// address to the portal.
//
// The form: trimmed; NFKC-normalised (a Kelvin sign K becomes K,
// fullwidth ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ becomes jane@example.com); a
// local part of ASCII only, in lower case; a domain in lower case. A
// local part outside ASCII after NFKC is refused (ErrLocalNotASCII):
// mailing one needs SMTPUTF8 from every relay on the way, and its case
// and normalisation rules are the receiving server's, so no form of it is
// safe to compare. A domain outside ASCII (an IDN) is kept in Unicode,
// NFKC and lower case, rather than converted to punycode: that needs
// golang.org/x/net/idna, a new dependency, and rows stored before this
// form kept their domain in Unicode, so their keys stay the same.
package emailaddr

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/clientportal/portal/internal/text"
)

// Limits, from RFC 5321: a path holds at most 254 characters of address
// and a local part at most 64 octets, a domain label at most 63.
const (
	MaxLen      = 254
	MaxLocalLen = 64
	MaxLabelLen = 63
	// maxInput bounds the bytes looked at before anything is refused: a
	// longer input cannot hold an address of MaxLen characters with some
	// spaces around it, and no NFKC pass runs over a pasted megabyte.
	maxInput = 4 * MaxLen
)

// Reasons an input is not an address.
var (
	ErrEmpty         = errors.New("email: empty")
	ErrInvalid       = errors.New("email: not an address")
	ErrLocalNotASCII = errors.New("email: local part outside ASCII")
)

// Normalize returns s in the one form, or an error wrapping ErrEmpty,
// ErrInvalid or ErrLocalNotASCII. A returned form is a fixed point:
// Normalize gives it back unchanged.
func Normalize(s string) (string, error) {
	if len(s) > maxInput || !utf8.ValidString(s) {
		return "", ErrInvalid
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	if !clean(s) {
		return "", ErrInvalid
	}
	// NFKC may make what it folds into spaces or signs (U+00A0, U+FE6B
	// "﹫"): check again after it.
	s = norm.NFKC.String(s)
	if !clean(s) {
		return "", ErrInvalid
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return "", ErrInvalid
	}
	local, domain := s[:at], s[at+1:]
	if !ascii(local) {
		return "", ErrLocalNotASCII
	}
	local = asciiLower(local)
	domain = strings.ToLower(domain)
	// Lower case can leave a domain NFKC would change again; such a
	// domain is no host name anyone types, and refusing it keeps the form
	// a fixed point.
	if !norm.NFKC.IsNormalString(domain) || !validDomain(domain) || len(local) > MaxLocalLen {
		return "", ErrInvalid
	}
	out := local + "@" + domain
	if utf8.RuneCountInString(out) > MaxLen {
		return "", ErrInvalid
	}
	// The local part's syntax is RFC 5322's dot-atom: net/mail parses it,
	// and anything it would rewrite (quotes, comments, a display name) is
	// refused, so the address is used as it stands.
	addr, err := mail.ParseAddress(out)
	if err != nil || addr.Address != out || addr.Name != "" || strings.ContainsAny(out, "\"<>()[]\\,;:") {
		return "", ErrInvalid
	}
	return out, nil
}

// clean reports whether s has nothing a terminal acts on, no space and no
// code point that does not show.
func clean(s string) bool {
	if text.Sanitize(s) != s {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || text.DefaultIgnorable(r) || !unicode.IsPrint(r)
	})
}

// validDomain: at least two labels, each 1 to 63 letters, digits and
// marks (a label in any script) or inner hyphens.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || utf8.RuneCountInString(l) > MaxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.In(r, unicode.L, unicode.M, unicode.Nd) {
				return false
			}
		}
	}
	return true
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
