package auth

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	testEmail = "jane.doe@example.com"
	testName  = "Jane Doe"
)

func TestCheckPassword(t *testing.T) {
	// strong128 is 128 code points but more bytes, to show that the limit
	// counts code points.
	strong128 := strings.Repeat("é", 28) + strings.Repeat("zq8#Lm2!vR7@kP4$", 6) + "x4y9"
	tests := []struct {
		name, pw, email, userName string
		want                      PolicyReason // "" means accepted
	}{
		{"empty", "", testEmail, testName, ReasonTooShort},
		{"14 code points", "zq8#Lm2!vR7@kP", testEmail, testName, ReasonTooShort},
		{"15 code points", "zq8#Lm2!vR7@kP4", testEmail, testName, ""},
		{"128 code points", strong128, testEmail, testName, ""},
		{"129 code points", strong128 + "y", testEmail, testName, ReasonTooLong},
		{"passphrase with spaces", "the purple elephant sings at dawn", testEmail, testName, ""},
		// After NFKC: the ligature ﬁ becomes two code points (14 → 15),
		// a decomposed é becomes one (15 → 14).
		{"nfkc lengthens", "ﬁrm8#Lm2!vR7@k", testEmail, testName, ""},
		{"nfkc shortens", "zq8#Lm2!vR7@ke\u0301", testEmail, testName, ReasonTooShort},
		{"fullwidth common", "ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ", testEmail, testName, ReasonTooCommon},
		{"fullwidth strong", "ＳｔａｙＷｉｔｈＭｅ ｐｌｅａｓｅ", testEmail, testName, ""},
		{"password repeated", "passwordpasswordpassword", testEmail, testName, ReasonTooCommon},
		{"digits", "123456789012345", testEmail, testName, ReasonTooCommon},
		{"keyboard walk", "qwertyuiopasdfgh", testEmail, testName, ReasonTooCommon},
		{"one character repeated", "aaaaaaaaaaaaaaa", testEmail, testName, ReasonTooCommon},
		{"only punctuation", "...............", testEmail, testName, ReasonTooCommon},
		{"email local part twice", "jane.doejane.doe1", testEmail, testName, ReasonTooSimilar},
		{"whole email upper case", "JANE.DOE@EXAMPLE.COM!!", testEmail, testName, ReasonTooSimilar},
		{"name words", "JaneDoeJaneDoe12", testEmail, testName, ReasonTooSimilar},
		{"name and domain", "Jane Doe of Example 2024", testEmail, testName, ReasonTooSimilar},
		{"name in a long phrase", "Jane walks her purple elephant at dawn", testEmail, testName, ""},
		{"short name inside a word", "careful planning beats luck", "a@b.c", "Ann Li", ""},
		{"local part plus weak tail", "jane.doe12345678", testEmail, testName, ReasonTooCommon},
		{"no email or name", "the purple elephant sings at dawn", "", "", ""},
		{"nul", "zq8#Lm2!vR7@kP4\x00", testEmail, testName, ReasonInvalid},
		{"tab", "the purple\telephant sings", testEmail, testName, ReasonInvalid},
		{"newline", "the purple elephant\n", testEmail, testName, ReasonInvalid},
		{"escape", "\x1b[31mthe purple elephant", testEmail, testName, ReasonInvalid},
		{"del", "the purple elephant\x7f", testEmail, testName, ReasonInvalid},
		{"c1 NEL", "the purple elephant\u0085", testEmail, testName, ReasonInvalid},
		{"c1 CSI", "the purple elephant\u009b", testEmail, testName, ReasonInvalid},
		{"invalid utf8", "the purple elephant\xff", testEmail, testName, ReasonInvalid},
		{"invalid before short", "\xff", testEmail, testName, ReasonInvalid},
		{"short before similar", "JaneDoe", testEmail, testName, ReasonTooShort},
		{"similar before common", "janedoejanedoejanedoe", testEmail, testName, ReasonTooSimilar},
		{"100 kB", strings.Repeat("a", 100_000), testEmail, testName, ReasonTooLong},
		{"100 kB ending invalid", strings.Repeat("a", 100_000) + "\xff", testEmail, testName, ReasonInvalid},
		{"500 code points under byte cap", strings.Repeat("zq8#L", 100), testEmail, testName, ReasonTooLong},
	}
	if n := utf8.RuneCountInString(strong128); n != MaxPasswordLen {
		t.Fatalf("strong128 has %d code points", n)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw, tt.email, tt.userName)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%.40q) = %v, want nil", tt.pw, err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("CheckPassword(%.40q) = %v, want *PolicyError %s", tt.pw, err, tt.want)
			}
			if pe.Reason != tt.want {
				t.Fatalf("CheckPassword(%.40q) reason = %s, want %s", tt.pw, pe.Reason, tt.want)
			}
		})
	}
}

func TestCheckPasswordHugeIsQuick(t *testing.T) {
	huge := strings.Repeat("Zq8#Lm2!vR7@kP4$", 100_000/16)
	start := time.Now()
	err := CheckPassword(huge, testEmail, testName)
	// zxcvbn on this input would run for hours; a second is generous for
	// a linear scan on a loaded machine.
	if d := time.Since(start); d > time.Second {
		t.Errorf("CheckPassword on 100 kB took %v", d)
	}
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Reason != ReasonTooLong {
		t.Fatalf("err = %v, want too_long", err)
	}
}

func TestIdentityWords(t *testing.T) {
	tests := []struct {
		email, name string
		want        []string
	}{
		{"Jane.Doe@Example.COM", "Jane  Doe", []string{"jane.doe@example.com", "jane.doe", "example", "jane", "doe"}},
		{" bo@mail.acme-law.co.uk ", "Bo Ek", []string{"bo@mail.acme-law.co.uk", "acme", "mail", "law"}},
		{"", "", nil},
		{"not-an-email", "Ｊöｒｇ", []string{"not-an-email", "email", "jörg", "not"}},
	}
	for _, tt := range tests {
		got := identityWords(tt.email, tt.name)
		if !slices.Equal(got, tt.want) {
			t.Errorf("identityWords(%q, %q) = %q, want %q", tt.email, tt.name, got, tt.want)
		}
	}
}

func TestPolicyErrorMessage(t *testing.T) {
	err := error(&PolicyError{Reason: ReasonTooCommon})
	if !strings.Contains(err.Error(), string(ReasonTooCommon)) {
		t.Fatalf("Error() = %q does not name the reason", err)
	}
}

func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "zq8#Lm2!vR7@kP4", "jane.doejane.doe1", "ﬁrm8#Lm2!vR7@k",
		"\xff\xfe", "a\x00b", "e\u0301\u0301\u0301", strings.Repeat("ﷺ", 10)} {
		f.Add(s, testEmail, testName)
	}
	reasons := []PolicyReason{ReasonInvalid, ReasonTooShort, ReasonTooLong, ReasonTooSimilar, ReasonTooCommon}
	f.Fuzz(func(t *testing.T, pw, email, name string) {
		err := CheckPassword(pw, email, name)
		// What the policy counts, measured here independently.
		valid := utf8.ValidString(pw) && !strings.ContainsFunc(pw, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) })
		n := -1
		if valid && len(pw) <= maxPolicyBytes {
			n = utf8.RuneCountInString(norm.NFKC.String(pw))
		}
		if err == nil {
			// Anything accepted satisfies the hard rules.
			if !valid || n < MinPasswordLen || n > MaxPasswordLen {
				t.Fatalf("accepted %q (%d code points after NFKC)", pw, n)
			}
		} else {
			var pe *PolicyError
			if !errors.As(err, &pe) || !slices.Contains(reasons, pe.Reason) {
				t.Fatalf("CheckPassword(%q) = %v, not a known *PolicyError", pw, err)
			}
			// The reason is the first rule broken, in the documented order.
			var want PolicyReason
			switch {
			case !valid:
				want = ReasonInvalid
			case n < 0 || n > MaxPasswordLen:
				want = ReasonTooLong
			case n < MinPasswordLen:
				want = ReasonTooShort
			}
			if want != "" && pe.Reason != want {
				t.Fatalf("CheckPassword(%q) = %s, want %s (%d code points)", pw, pe.Reason, want, n)
			}
			if want == "" && pe.Reason != ReasonTooSimilar && pe.Reason != ReasonTooCommon {
				t.Fatalf("CheckPassword(%q) = %s for a well-formed password of %d code points", pw, pe.Reason, n)
			}
		}
		if err2 := CheckPassword(pw, email, name); (err == nil) != (err2 == nil) || (err != nil && err2.(*PolicyError).Reason != err.(*PolicyError).Reason) {
			t.Fatalf("not deterministic for %q: %v then %v", pw, err, err2)
		}
	})
}
