package emailaddr

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"plain", "jane.doe@example.com", "jane.doe@example.com", nil},
		{"mixed case", "Jane.Doe@Example.COM", "jane.doe@example.com", nil},
		{"spaces around", " \tjane@example.com \u00a0", "jane@example.com", nil},
		{"Kelvin sign in the local part", "\u212aate@example.com", "kate@example.com", nil},
		{"Kelvin sign in the domain", "kate@\u212aent.co.uk", "kate@kent.co.uk", nil},
		{"fullwidth letters", "ｊａｎｅ@ｅｘａｍｐｌｅ.ｃｏｍ", "jane@example.com", nil},
		{"fullwidth at sign and dot", "jane＠example．com", "jane@example.com", nil},
		{"ligature", "ﬁona@example.com", "fiona@example.com", nil},
		{"plus and signs", "a.b+tag_1-x@sub.example.com", "a.b+tag_1-x@sub.example.com", nil},
		{"IDN domain kept in Unicode", "jane@山田.jp", "jane@山田.jp", nil},
		{"IDN domain lower case", "jane@ÉCOLE.fr", "jane@école.fr", nil},
		{"IDN domain decomposed", "jane@e\u0301cole.fr", "jane@école.fr", nil},
		{"accented local part", "zoë@example.com", "", ErrLocalNotASCII},
		{"Cyrillic a in the local part", "j\u0430ne@example.com", "", ErrLocalNotASCII},
		{"dotted capital I", "\u0130@example.com", "", ErrLocalNotASCII},
		{"empty", "", "", ErrEmpty},
		{"only spaces", " \t ", "", ErrEmpty},
		{"invalid UTF-8", "j\xffane@example.com", "", ErrInvalid},
		{"escape", "jane@example.com\x1b[31m", "", ErrInvalid},
		{"C1", "jane\u0085@example.com", "", ErrInvalid},
		{"bidi override", "jane@exa\u202emple.com", "", ErrInvalid},
		{"zero width space", "ja\u200bne@example.com", "", ErrInvalid},
		{"ZWJ", "ja\u200dne@example.com", "", ErrInvalid},
		{"soft hyphen in the domain", "jane@exam\u00adple.com", "", ErrInvalid},
		{"inner space", "jane doe@example.com", "", ErrInvalid},
		{"no-break space inside", "jane\u00a0doe@example.com", "", ErrInvalid},
		{"display name", "Jane <jane@example.com>", "", ErrInvalid},
		{"quoted local part", "\"a b\"@example.com", "", ErrInvalid},
		{"no at", "jane.example.com", "", ErrInvalid},
		{"no local part", "@example.com", "", ErrInvalid},
		{"no domain", "jane@", "", ErrInvalid},
		{"one label", "jane@localhost", "", ErrInvalid},
		{"empty label", "jane@example..com", "", ErrInvalid},
		{"trailing dot", "jane@example.com.", "", ErrInvalid},
		{"hyphen at a label's edge", "jane@-example.com", "", ErrInvalid},
		{"underscore in the domain", "jane@ex_ample.com", "", ErrInvalid},
		{"local part over 64", strings.Repeat("a", 65) + "@example.com", "", ErrInvalid},
		{"local part of 64", strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com", nil},
		{"over 254", "a@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + ".com", "", ErrInvalid},
		{"10 kB", strings.Repeat("x", 10_000) + "@example.com", "", ErrInvalid},
		{"10 kB of spaces", strings.Repeat(" ", 10_000) + "jane@example.com", "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("Normalize(%+q) = %+q, %v; want %+q, %v", tt.in, got, err, tt.want, tt.err)
			}
			if err == nil {
				if again, err := Normalize(got); again != got || err != nil {
					t.Fatalf("Normalize(%+q) = %+q, %v: not a fixed point", got, again, err)
				}
			}
		})
	}
}

// TestLookalikesAreOne: addresses that read the same are one address.
func TestLookalikesAreOne(t *testing.T) {
	for _, group := range [][]string{
		{"kate@example.com", "Kate@Example.com", "\u212aate@example.com", "ｋａｔｅ@example.com", " KATE@EXAMPLE.COM "},
		{"jane@école.fr", "jane@ÉCOLE.FR", "jane@e\u0301cole.fr", "JANE@E\u0301COLE.FR"},
	} {
		want, err := Normalize(group[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range group[1:] {
			if got, err := Normalize(in); got != want || err != nil {
				t.Errorf("Normalize(%+q) = %+q, %v; want %+q like %+q", in, got, err, want, group[0])
			}
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, in := range []string{"jane.doe@example.com", " Jane.Doe@Example.COM ", "taro@山田.jp"} {
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				if _, err := Normalize(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
