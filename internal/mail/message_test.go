package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// parsed is a message read back the way a mail client would.
type parsed struct {
	From, To, Subject, MessageID, ContentType string
	Date                                      time.Time
	Body                                      string
	Header                                    mail.Header
}

func parseMessage(t testing.TB, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	date, err := m.Header.Date()
	if err != nil {
		t.Fatalf("date: %v", err)
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	from, err := m.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From: %v %v", from, err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To: %v %v", to, err)
	}
	return parsed{
		From: from[0].Address, To: to[0].Address, Subject: subject,
		MessageID: m.Header.Get("Message-Id"), ContentType: m.Header.Get("Content-Type"),
		Date: date, Body: strings.ReplaceAll(string(b), "\r\n", "\n"), Header: m.Header,
	}
}

func composeBytes(t testing.TB, m Message) []byte {
	t.Helper()
	msg, err := compose(m)
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sampleMessage(id string) Message {
	return Message{
		ID:      id,
		From:    "Cabinet Dupont <noreply@cabinet-dupont.fr>",
		To:      "client@example.com",
		Subject: "Votre invitation — accès au portail",
		Body:    "Bonjour Élodie,\n\nVoici votre lien : https://example.com/x\nÀ bientôt, 東京.\n",
		Date:    time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

func TestComposeRoundTrip(t *testing.T) {
	m := sampleMessage("42")
	p := parseMessage(t, composeBytes(t, m))
	if p.From != "noreply@cabinet-dupont.fr" || p.To != "client@example.com" {
		t.Errorf("addresses: %q -> %q", p.From, p.To)
	}
	if p.Subject != m.Subject {
		t.Errorf("subject %q, want %q", p.Subject, m.Subject)
	}
	if p.Body != m.Body {
		t.Errorf("body %q, want %q", p.Body, m.Body)
	}
	if !p.Date.Equal(m.Date) {
		t.Errorf("date %v, want %v", p.Date, m.Date)
	}
	if !strings.HasPrefix(p.ContentType, "text/plain") || !strings.Contains(strings.ToLower(p.ContentType), "utf-8") {
		t.Errorf("content type %q", p.ContentType)
	}
	if !strings.HasPrefix(p.MessageID, "<42.") || !strings.HasSuffix(p.MessageID, "@cabinet-dupont.fr>") {
		t.Errorf("message ID %q", p.MessageID)
	}
	if ua := p.Header.Get("User-Agent") + p.Header.Get("X-Mailer"); ua != "" {
		t.Errorf("library advertised: %q", ua)
	}
}

func TestMessageIDStable(t *testing.T) {
	a := parseMessage(t, composeBytes(t, sampleMessage("7")))
	b := parseMessage(t, composeBytes(t, sampleMessage("7")))
	if a.MessageID != b.MessageID {
		t.Errorf("resend changed Message-ID: %q vs %q", a.MessageID, b.MessageID)
	}
	other := sampleMessage("7")
	other.To = "someone.else@example.com"
	if c := parseMessage(t, composeBytes(t, other)); c.MessageID == a.MessageID {
		t.Errorf("different rows share Message-ID %q", c.MessageID)
	}
}

func TestComposeHeaderInjection(t *testing.T) {
	m := sampleMessage("1")
	m.Subject = "hello\r\nBcc: victim@example.com"
	raw := composeBytes(t, m)
	p := parseMessage(t, raw)
	if p.Header.Get("Bcc") != "" {
		t.Fatalf("subject injected a header:\n%s", raw)
	}
}

func TestComposeRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Message)
	}{
		{"bad to", func(m *Message) { m.To = "not an address" }},
		{"empty to", func(m *Message) { m.To = "" }},
		{"two to", func(m *Message) { m.To = "a@example.com, b@example.com" }},
		{"bad from", func(m *Message) { m.From = "nobody" }},
		{"empty id", func(m *Message) { m.ID = "" }},
		{"path id", func(m *Message) { m.ID = "../../etc/passwd" }},
		{"slash id", func(m *Message) { m.ID = "a/b" }},
		{"at id", func(m *Message) { m.ID = "a@b" }},
		{"dot id", func(m *Message) { m.ID = ".hidden" }},
		{"long id", func(m *Message) { m.ID = strings.Repeat("9", maxIDLen+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMessage("5")
			tt.edit(&m)
			_, err := compose(m)
			if err == nil {
				t.Fatal("accepted")
			}
			if !IsPermanent(err) {
				t.Errorf("%v: not permanent", err)
			}
		})
	}
}
