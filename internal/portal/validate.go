package portal

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/emailaddr"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

// Field length limits, in characters.
const (
	MaxEmailLen   = emailaddr.MaxLen
	MaxNameLen    = 200
	MaxCompanyLen = 200
	MaxPhoneLen   = 40
)

// cleanText trims s and refuses text a terminal would act on: control
// characters, escape sequences, bidi overrides and invalid UTF-8 are refused
// with a clear message rather than silently altered, so what is stored is
// exactly what the person meant.
func cleanText(field, s string, max int, required bool) (string, error) {
	s = strings.ReplaceAll(s, "\t", " ") // pasted text often has tabs: they are spaces here
	if !utf8.ValidString(s) || text.Sanitize(s) != s {
		return "", refuse(field, "error.field.bad_chars")
	}
	s = strings.Join(strings.Fields(s), " ") // "Carl   Jones" is "Carl Jones"
	if s == "" && required {
		return "", refuse(field, "error.field.required")
	}
	if utf8.RuneCountInString(s) > max {
		return "", refuse(field, "error.field.too_long", max)
	}
	return s, nil
}

// cleanProfileText is cleanText for the fields that say who a client is,
// shown in the console's lists and in mails: it also refuses a code point
// that would not show (text.Invisible: Hangul fillers, soft hyphens, word
// joiners, tag characters, a joiner or variation selector where no script
// or emoji needs one), so that no client looks blank or like another.
func cleanProfileText(field, s string, max int, required bool) (string, error) {
	s, err := cleanText(field, s, max, required)
	if err != nil {
		return "", err
	}
	if r, ok := text.Invisible(s); ok {
		return "", refuse(field, "error.field.invisible", fmt.Sprintf("U+%04X", r))
	}
	return s, nil
}

// validName is a client's name: profile text with at least one letter, so
// that a name of symbols, digits or marks alone does not pass for one.
func validName(s string) (string, error) {
	s, err := cleanProfileText(FieldName, s, MaxNameLen, true)
	if err != nil {
		return "", err
	}
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return "", refuse(FieldName, "error.name.no_letter")
	}
	return s, nil
}

// validEmail checks an email address and returns it in the one form it is
// stored, compared and mailed in (emailaddr.Normalize: trimmed, NFKC, an
// ASCII local part and a domain in lower case). Display names, comments,
// quotes and anything net/mail would rewrite are refused.
func validEmail(s string) (string, error) {
	out, err := emailaddr.Normalize(s)
	switch {
	case errors.Is(err, emailaddr.ErrEmpty):
		return "", refuse(FieldEmail, "error.email.required")
	case errors.Is(err, emailaddr.ErrLocalNotASCII):
		return "", refuse(FieldEmail, "error.email.local_ascii")
	case err != nil:
		return "", refuse(FieldEmail, "error.email.invalid")
	}
	return out, nil
}

func validPhone(s string) (string, error) {
	s, err := cleanProfileText(FieldPhone, s, MaxPhoneLen, false)
	if err != nil || s == "" {
		return s, err
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().x/", r):
		default:
			return "", refuse(FieldPhone, "error.phone.invalid")
		}
	}
	if digits < 4 {
		return "", refuse(FieldPhone, "error.phone.invalid")
	}
	return s, nil
}

// Profile is a client's general information.
type Profile struct {
	Name    string
	Email   string
	Company string
	Phone   string
	// Lang is the language of the client's screens and mails: a catalog
	// language, or "" for English.
	Lang string
}

// validProfile checks every field and returns them cleaned; the first
// refusal is returned, in form order.
func validProfile(p Profile, needEmail bool) (Profile, error) {
	var err error
	if p.Name, err = validName(p.Name); err != nil {
		return p, err
	}
	if needEmail {
		if p.Email, err = validEmail(p.Email); err != nil {
			return p, err
		}
	}
	if p.Company, err = cleanProfileText(FieldCompany, p.Company, MaxCompanyLen, false); err != nil {
		return p, err
	}
	if p.Phone, err = validPhone(p.Phone); err != nil {
		return p, err
	}
	return p, nil
}

// validNewPassword applies the password policy and the repeat check.
func validNewPassword(password, repeat, email, name string) error {
	if password == "" {
		return refuse(FieldPassword, "error.password.required")
	}
	if err := auth.CheckPassword(password, email, name); err != nil {
		var pe *auth.PolicyError
		if errors.As(err, &pe) {
			switch pe.Reason {
			case auth.ReasonTooShort:
				return refuse(FieldPassword, "error.password.too_short", auth.MinPasswordLen)
			case auth.ReasonTooLong:
				return refuse(FieldPassword, "error.password.too_long", auth.MaxPasswordLen)
			}
			return refuse(FieldPassword, "error.password."+string(pe.Reason))
		}
		return err
	}
	if password != repeat {
		return refuse(FieldRepeat, "error.password.mismatch")
	}
	return nil
}

func validStatus(s string) error {
	if s == "" {
		return nil
	}
	for _, st := range vocab.ClientStatuses() {
		if s == st {
			return nil
		}
	}
	return refuse("status", "error.status.invalid", strings.Join(vocab.ClientStatuses(), ", "))
}
