package auth

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// minIdentityWord is the shortest email or name fragment that counts.
// Shorter ones ("li", "jo") occur by chance in ordinary words.
const minIdentityWord = 3

// minOwnRunes is how many characters of its own a password must keep once
// the account's identity is removed from it.
const minOwnRunes = 8

// identityWords returns the lower-cased, NFKC-normalised fragments of the
// account's identity an attacker would try first: the whole email, its
// local part and the pieces of it, the domain's labels but the last ("com"
// says nothing about the client), and the words of the name. Fragments
// shorter than minIdentityWord are dropped. Longest first, so removing
// them in order takes the whole email before its parts.
func identityWords(email, name string) []string {
	email = strings.ToLower(strings.TrimSpace(norm.NFKC.String(email)))
	name = strings.ToLower(norm.NFKC.String(name))
	local, domain, _ := strings.Cut(email, "@")
	words := []string{email, local}
	words = append(words, strings.FieldsFunc(local, notAlnum)...)
	if labels := strings.Split(domain, "."); len(labels) > 1 {
		for _, l := range labels[:len(labels)-1] {
			words = append(words, strings.FieldsFunc(l, notAlnum)...)
		}
	}
	words = append(words, strings.FieldsFunc(name, notAlnum)...)
	words = slices.DeleteFunc(words, func(w string) bool {
		return utf8.RuneCountInString(w) < minIdentityWord
	})
	slices.SortFunc(words, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	return slices.Compact(words)
}

// similarToIdentity is the "too close to the email or name" rule: remove
// every occurrence of every identity word from the password (case-
// insensitively) and, if any was found, refuse the password if fewer than minOwnRunes letters, digits or
// symbols remain; spaces and punctuation in the remainder do not count.
//
// Merely containing a name is allowed on purpose: "Ann" is inside
// "planning", and a long passphrase that mentions its owner is still
// strong. What is refused is a password that is mostly identity, like
// "JaneDoeJaneDoe1" or "jane.doe@example.com!". Shorter reuse that keeps
// some of its own characters is then judged by zxcvbn, which is given the
// same words.
func similarToIdentity(password string, words []string) bool {
	rest := strings.ToLower(password)
	found := false
	for _, w := range words {
		// A space, not "", so the pieces either side cannot join into
		// another identity word.
		if strings.Contains(rest, w) {
			rest = strings.ReplaceAll(rest, w, " ")
			found = true
		}
	}
	if !found {
		// A password with no identity in it is zxcvbn's to judge, even if
		// it has few letters of its own.
		return false
	}
	own := 0
	for _, r := range rest {
		if !unicode.IsSpace(r) && !unicode.IsPunct(r) {
			own++
		}
	}
	return own < minOwnRunes
}

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }
