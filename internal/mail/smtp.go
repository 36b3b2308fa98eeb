package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultSMTPTimeout bounds each SMTP command and the dial.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPOption configures an SMTPSender.
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	tlsConfig   *tls.Config
	timeout     time.Duration
	idleTimeout time.Duration
}

// WithTLSConfig sets the TLS configuration (e.g. the roots to trust). Its
// ServerName defaults to the URL's host.
func WithTLSConfig(c *tls.Config) SMTPOption {
	return func(o *smtpOptions) { o.tlsConfig = c }
}

// WithTimeout bounds the dial and each SMTP command (default
// DefaultSMTPTimeout).
func WithTimeout(d time.Duration) SMTPOption {
	return func(o *smtpOptions) { o.timeout = d }
}

// WithIdleTimeout sets how long a connection with nothing to send stays
// open for the next message (default DefaultIdleTimeout).
func WithIdleTimeout(d time.Duration) SMTPOption {
	return func(o *smtpOptions) { o.idleTimeout = d }
}

// SMTPSender relays messages to an SMTP server, reusing a connection for
// the next message while it is fresh (see DefaultIdleTimeout). It is safe
// for concurrent use; Close ends the connections it keeps open.
type SMTPSender struct {
	cfg       SMTPConfig
	tlsConfig *tls.Config
	client    *gomail.Client
	pool      *connPool
}

// NewSMTPSender returns a sender for an smtp:// or smtps:// URL (see
// ParseSMTPURL). It does not connect: a server that is down at start is a
// temporary failure of the first Send, not a reason to refuse to start.
func NewSMTPSender(rawURL string, opts ...SMTPOption) (*SMTPSender, error) {
	cfg, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	o := smtpOptions{timeout: DefaultSMTPTimeout, idleTimeout: DefaultIdleTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 || o.idleTimeout <= 0 {
		return nil, errors.New("smtp sender: timeouts must be positive")
	}
	var tlsConf *tls.Config
	if o.tlsConfig != nil {
		tlsConf = o.tlsConfig.Clone()
	} else {
		tlsConf = &tls.Config{}
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = cfg.Host
	}
	if tlsConf.MinVersion < tls.VersionTLS12 {
		tlsConf.MinVersion = tls.VersionTLS12
	}
	s := &SMTPSender{cfg: cfg, tlsConfig: tlsConf}
	copts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithDialContextFunc(s.dial),
		gomail.WithTimeout(o.timeout),
		gomail.WithTLSConfig(tlsConf),
		// No NOOP before a message: a reused connection that went stale
		// fails at MAIL FROM, and Send then takes a fresh one, which costs
		// a round trip only when needed. No RSET after it: a message
		// accepted at the end of DATA ends its transaction (RFC 5321 4.1.4),
		// and a failed one ends its connection.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch cfg.TLS {
	case StartTLS:
		copts = append(copts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		// s.dial does the TLS handshake; WithSSL only tells go-mail not to
		// try STARTTLS on top.
		copts = append(copts, gomail.WithSSL())
	case NoTLS:
		copts = append(copts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		// The strongest mechanism the server offers. go-mail's PLAIN and
		// LOGIN refuse to run on a connection that is not TLS, and
		// ParseSMTPURL refuses credentials with tls=none, so the password
		// never crosses the wire in clear.
		copts = append(copts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256,
			gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, copts...)
	if err != nil {
		return nil, fmt.Errorf("smtp sender for %s: %w", cfg.Redacted(), err)
	}
	s.client = client
	s.pool = &connPool{client: client, idleTimeout: o.idleTimeout}
	return s, nil
}

// Config is the parsed URL the sender uses.
func (s *SMTPSender) Config() SMTPConfig { return s.cfg }

// Close ends the idle connections (QUIT, bounded by a short wait) and
// makes every connection end after its message from then on. Sends still
// work after Close.
func (s *SMTPSender) Close() error {
	s.pool.close()
	return nil
}

// Send delivers m, on an idle connection when there is one. Cancelling ctx
// closes the connection, aborting the transaction; if the server had
// already accepted the message, Send reports success, so the caller never
// resends a message that was acknowledged.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := compose(m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smtp send %s: %w", m.ID, err)
	}
	if c := s.pool.take(); c != nil {
		sendErr := s.sendOn(ctx, c, msg)
		if sendErr == nil || msg.IsDelivered() || ctx.Err() != nil || !staleConn(sendErr) {
			return sendResult(m, msg, sendErr)
		}
		// Nothing of the message reached the relay: try once more on a
		// fresh connection, whose failure is the message's answer.
	}
	c, err := s.open(ctx)
	if err != nil {
		// Everything before MAIL FROM concerns the connection, TLS or our
		// credentials, never this message: retry later.
		return fmt.Errorf("smtp send %s: connect to %s: %w", m.ID, s.cfg.Addr(), err)
	}
	return sendResult(m, msg, s.sendOn(ctx, c, msg))
}

// sendOn sends msg on c, then keeps c for the next message if it went
// through, or ends c if anything failed.
func (s *SMTPSender) sendOn(ctx context.Context, c *smtpConn, msg *gomail.Msg) error {
	// go-mail honours ctx only while dialling; closing the connection is
	// how a cancel reaches a transaction in progress.
	stop := context.AfterFunc(ctx, c.slot.close)
	sendErr := s.client.SendWithSMTPClient(c.client, msg)
	if !stop() {
		c.slot.close()
		return errors.Join(ctx.Err(), sendErr)
	}
	if sendErr == nil {
		c.sent++
		s.pool.put(c)
		return nil
	}
	// The message is through (or refused); a failed QUIT changes neither.
	// Not pool.quit: within this send's own deadline, so that after a
	// timeout the QUIT fails at once instead of waiting again.
	_ = s.client.CloseWithSMTPClient(c.client)
	c.slot.close()
	return sendErr
}

// sendResult is Send's answer for a send that ended with sendErr.
func sendResult(m Message, msg *gomail.Msg, sendErr error) error {
	if sendErr == nil || msg.IsDelivered() {
		return nil
	}
	return classify(fmt.Errorf("smtp send %s: %w", m.ID, sendErr))
}

// classify marks SMTP replies that refuse the message itself as permanent.
// 4xx replies, network errors and anything without a reply code stay
// temporary. Authentication replies (530, 534, 535, 538; RFC 4954) stay
// temporary even though they are 5xx: a wrong password is the relay's
// configuration, not the message's fault, and failing every queued mail for
// good over it would lose them all; they wait, with backoff, for an admin
// to fix --smtp. go-mail reports a failed AUTH while dialling, and that path
// never reaches here, but a server may still answer MAIL FROM with 530.
// Any refusal of MAIL FROM stays temporary for the same reason: it refuses
// our sender (--mail-from, or the relay's rules for us), the same for every
// message, so failing them for good would lose the whole queue to one
// misconfiguration.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && se.Reason == gomail.ErrSMTPMailFrom {
		return err
	}
	code := replyCode(err)
	if code >= 500 && code < 600 && code != 530 && code != 534 && code != 535 && code != 538 {
		return Permanent(err)
	}
	return err
}

func replyCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// connSlotKey carries a *connSlot from Send to dial through the context
// go-mail passes to the dialer, which is derived from Send's.
type connSlotKey struct{}

// connSlot holds the raw connection of one Send so a cancel can close it.
// Closing the net.Conn, not go-mail's client, matters: the client's Close
// waits for a lock that a blocked read holds.
type connSlot struct {
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// set records conn, or closes it and reports false if the slot is closed.
func (c *connSlot) set(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = conn.Close()
		return false
	}
	c.conn = conn
	return true
}

func (c *connSlot) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// dial opens the connection for go-mail, doing the TLS handshake itself for
// smtps (go-mail skips its own when given a dialer) and handing the
// connection to Send's slot.
func (s *SMTPSender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if s.cfg.TLS == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig}).DialContext(ctx, network, addr)
	} else {
		conn, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	if slot, ok := ctx.Value(connSlotKey{}).(*connSlot); ok && !slot.set(conn) {
		return nil, context.Canceled
	}
	return conn, nil
}
