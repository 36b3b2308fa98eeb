package mail

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Connection reuse. A connection that has just delivered a message waits,
// idle, for the next Send, so a burst (an import's invitations) pays the
// TCP, TLS and AUTH handshakes once per connection instead of once per
// message, and a relay that limits connections per client sees a few.
const (
	// DefaultIdleTimeout is how long an unused connection stays open. Short:
	// a burst keeps its connections busy, and between bursts the relay
	// should not have to hold them (RFC 5321 lets it drop them after 5 min).
	DefaultIdleTimeout = 15 * time.Second
	// maxIdleConns bounds the connections kept open; the worker sends 8 at
	// once by default.
	maxIdleConns = 8
	// maxConnMessages ends a connection after this many messages: some
	// relays refuse more on one connection, and a long-lived one would
	// never notice a relay's new certificate or address.
	maxConnMessages = 100
	// quitWait bounds the QUIT that closes an idle connection, so that
	// Close, at shutdown, cannot wait a whole SMTP timeout on a silent relay.
	quitWait = 2 * time.Second
)

// smtpConn is one open, authenticated SMTP connection.
type smtpConn struct {
	client *smtp.Client
	slot   *connSlot // its raw connection, which a cancel closes
	sent   int
	idle   *time.Timer // while pooled: closes it after the idle timeout
}

// connPool holds the idle connections of one SMTPSender, most recently
// used last: Send takes from the end, so the connections used least go
// idle long enough to be closed.
type connPool struct {
	client      *gomail.Client
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   []*smtpConn
	closed bool
}

// take returns an idle connection, or nil when there is none.
func (p *connPool) take() *smtpConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	c := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	// If the timer has fired, its expire will not find c in the pool and
	// leaves it alone.
	c.idle.Stop()
	return c
}

// put keeps c for the next Send, or closes it when it has sent its share,
// the pool is full, or the pool is closed.
func (p *connPool) put(c *smtpConn) {
	p.mu.Lock()
	if p.closed || c.sent >= maxConnMessages || len(p.idle) >= maxIdleConns {
		p.mu.Unlock()
		p.quit(c)
		return
	}
	c.idle = time.AfterFunc(p.idleTimeout, func() { p.expire(c) })
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// expire closes c if it is still idle in the pool.
func (p *connPool) expire(c *smtpConn) {
	p.mu.Lock()
	i := slices.Index(p.idle, c)
	if i < 0 {
		p.mu.Unlock()
		return
	}
	p.idle = slices.Delete(p.idle, i, i+1)
	p.mu.Unlock()
	p.quit(c)
}

// quit ends c politely (QUIT), waiting at most quitWait for the relay.
func (p *connPool) quit(c *smtpConn) {
	if c.client.UpdateDeadline(quitWait) == nil {
		_ = p.client.CloseWithSMTPClient(c.client)
	}
	c.slot.close()
}

// close quits every idle connection, at once, and makes put close the
// connections that come back from then on.
func (p *connPool) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range idle {
		c.idle.Stop()
		wg.Go(func() { p.quit(c) })
	}
	wg.Wait()
}

// staleConn reports whether a send that failed on a reused connection
// failed before the relay took anything of the message: the connection was
// dropped while it sat idle (the relay's timeout, a restart), or the relay
// will take no more on it (421, a per-connection limit). MAIL FROM is the
// first command of a message, so the message is safe to send again on a
// fresh connection.
func staleConn(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && (se.Reason == gomail.ErrSMTPMailFrom || se.Reason == gomail.ErrConnCheck)
}

// open dials, greets, starts TLS and authenticates a new connection. A
// cancel of ctx during that closes the connection.
func (s *SMTPSender) open(ctx context.Context) (*smtpConn, error) {
	slot := &connSlot{}
	stop := context.AfterFunc(ctx, slot.close)
	client, err := s.client.DialToSMTPClientWithContext(context.WithValue(ctx, connSlotKey{}, slot))
	if !stop() && err == nil {
		err = errors.New("connection closed")
	}
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		slot.close()
		return nil, err
	}
	return &smtpConn{client: client, slot: slot}, nil
}
