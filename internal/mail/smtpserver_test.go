package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testTLS is a self-signed certificate for 127.0.0.1 and the client config
// that trusts it.
type testTLS struct {
	server *tls.Config
	client *tls.Config
}

func newTestTLS(t testing.TB) testTLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return testTLS{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		client: &tls.Config{RootCAs: pool},
	}
}

// received is one message the test server accepted.
type received struct {
	From, To string
	Data     []byte
	TLS      bool
	Authed   bool
}

// testServer is a real SMTP server (go-smtp) on 127.0.0.1 that records what
// it accepts and can be told to refuse recipients or go down.
type testServer struct {
	t        testing.TB
	implicit bool     // TLS from the first byte
	tls      *testTLS // nil: no TLS at all
	user     string   // empty: no AUTH offered
	pass     string

	mu       sync.Mutex
	addr     string
	srv      *smtp.Server
	ln       net.Listener
	msgs     []received
	rcptErr  error         // reply to every RCPT TO when set
	mailErr  error         // reply to every MAIL FROM when set
	perConn  int           // when > 0: 421 to MAIL FROM after this many messages on a connection
	dataHold chan struct{} // when set: DATA waits until it is closed
	opened   int           // connections ever opened
	open     int           // connections open now
}

func startTestServer(t testing.TB, ts *testServer) *testServer {
	t.Helper()
	ts.t = t
	ts.up("127.0.0.1:0")
	t.Cleanup(ts.down)
	return ts
}

// up starts listening on addr (the same port again after down).
func (ts *testServer) up(addr string) {
	ts.t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		ts.t.Fatal(err)
	}
	// Counted on TCP: go-smtp starts a new session after STARTTLS.
	l = &countingListener{Listener: l, ts: ts}
	if ts.implicit {
		l = tls.NewListener(l, ts.tls.server)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{ts: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	// Clients the tests cut off on purpose would fill the output.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	if ts.tls != nil && !ts.implicit {
		srv.TLSConfig = ts.tls.server
	}
	ts.mu.Lock()
	ts.addr, ts.srv, ts.ln = l.Addr().String(), srv, l
	ts.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

func (ts *testServer) down() {
	ts.mu.Lock()
	srv, ln := ts.srv, ts.ln
	ts.srv, ts.ln = nil, nil
	ts.mu.Unlock()
	// Closing the listener ourselves covers a Serve goroutine that has not
	// started yet, which srv.Close would miss.
	if ln != nil {
		_ = ln.Close()
	}
	if srv != nil {
		_ = srv.Close()
	}
}

func (ts *testServer) port() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	_, p, _ := net.SplitHostPort(ts.addr)
	return p
}

// set changes the server's behaviour while it runs.
func (ts *testServer) set(f func(ts *testServer)) {
	ts.mu.Lock()
	f(ts)
	ts.mu.Unlock()
}

// conns reports the connections ever opened and those open now.
func (ts *testServer) conns() (opened, open int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.opened, ts.open
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

// url is the --smtp URL that reaches this server.
func (ts *testServer) url() string {
	scheme, query := "smtp", ""
	if ts.implicit {
		scheme = "smtps"
	}
	if ts.tls == nil {
		query = "?tls=none"
	}
	user := ""
	if ts.user != "" {
		user = ts.user + ":" + ts.pass + "@"
	}
	return scheme + "://" + user + "127.0.0.1:" + ts.port() + query
}

type testSession struct {
	ts     *testServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
	sent   int // messages accepted on this connection
}

func (s *testSession) AuthMechanisms() []string {
	if s.ts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ts.user || pass != s.ts.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.ts.mu.Lock()
	err, perConn := s.ts.mailErr, s.ts.perConn
	s.ts.mu.Unlock()
	if err != nil {
		return err
	}
	if perConn > 0 && s.sent >= perConn {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "too many messages on this connection"}
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	err := s.ts.rcptErr
	s.ts.mu.Unlock()
	if err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.to) != 1 {
		return errors.New("test server: want exactly one recipient")
	}
	s.ts.mu.Lock()
	hold := s.ts.dataHold
	s.ts.mu.Unlock()
	if hold != nil {
		<-hold
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, received{From: s.from, To: s.to[0], Data: b, TLS: isTLS, Authed: s.authed})
	s.ts.mu.Unlock()
	s.sent++
	return nil
}

func (s *testSession) Reset()        { s.from, s.to = "", nil }
func (s *testSession) Logout() error { return nil }

// countingListener counts the connections the server accepts and those
// still open.
type countingListener struct {
	net.Listener
	ts *testServer
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.ts.mu.Lock()
	l.ts.opened++
	l.ts.open++
	l.ts.mu.Unlock()
	return &countedConn{Conn: c, ts: l.ts}, nil
}

type countedConn struct {
	net.Conn
	ts   *testServer
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.ts.mu.Lock()
		c.ts.open--
		c.ts.mu.Unlock()
	})
	return c.Conn.Close()
}
