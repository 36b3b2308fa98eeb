package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one outbox row ready to send. The domain composes it in the
// recipient's language; this package only delivers it.
type Message struct {
	// ID is stable per outbox row (e.g. "42"). It names the .eml file and is
	// part of the Message-ID, so a redelivery of the same row is recognisably
	// the same message. Letters, digits, '.', '_' and '-' only.
	ID      string
	From    string
	To      string
	Subject string
	// Body is plain UTF-8 text.
	Body string
	// Date is when the message was queued; the zero time means now.
	Date time.Time
}

// Sender delivers one message. An error for which IsPermanent is true means
// retrying is pointless; any other error may be retried later.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// maxIDLen bounds Message.ID so file names and Message-IDs stay short.
const maxIDLen = 64

// validateID accepts only characters that are safe both in a file name and
// in the dot-atom of a Message-ID, so an ID can never escape the mail
// directory or inject header syntax.
func validateID(id string) error {
	if id == "" {
		return errors.New("empty message ID")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("message ID longer than %d bytes", maxIDLen)
	}
	if id[0] == '.' || id[len(id)-1] == '.' || strings.Contains(id, "..") {
		return errors.New("message ID has a misplaced '.'")
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-'
		if !ok {
			return errors.New("message ID has a character other than letters, digits, '.', '_' or '-'")
		}
	}
	return nil
}

// compose builds the RFC 5322 message both senders send. Every failure here
// is a property of the message itself, so all of them are permanent.
func compose(m Message) (*gomail.Msg, error) {
	if err := validateID(m.ID); err != nil {
		return nil, Permanent(fmt.Errorf("compose message %q: %w", m.ID, err))
	}
	// The default User-Agent would advertise the library and its version to
	// every recipient for no benefit.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.From(m.From); err != nil {
		return nil, Permanent(fmt.Errorf("compose message %s: invalid From address: %w", m.ID, err))
	}
	if err := msg.To(m.To); err != nil {
		return nil, Permanent(fmt.Errorf("compose message %s: invalid To address: %w", m.ID, err))
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, Permanent(fmt.Errorf("compose message %s: invalid From address: %w", m.ID, err))
	}
	at := strings.LastIndexByte(from.Address, '@')
	if at < 0 || at == len(from.Address)-1 {
		return nil, Permanent(fmt.Errorf("compose message %s: From address has no domain", m.ID))
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(messageID(m, strings.ToLower(from.Address[at+1:])))
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// messageID derives the Message-ID from the row alone, so a resend after a
// crash carries the same Message-ID and receivers can drop the duplicate.
// The hash keeps two installations whose outbox IDs both start at 1 from
// minting the same Message-ID. go-mail adds the angle brackets.
func messageID(m Message, domain string) string {
	h := sha256.New()
	for _, part := range []string{m.ID, m.From, m.To} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	if !m.Date.IsZero() {
		h.Write([]byte(strconv.FormatInt(m.Date.UnixNano(), 10)))
	}
	return fmt.Sprintf("%s.%s@%s", m.ID, hex.EncodeToString(h.Sum(nil)[:8]), domain)
}
