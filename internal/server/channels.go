package server

import (
	"net"
	"sync/atomic"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// maxEnvRequests caps "env" requests per session: charmbracelet/ssh keeps
// every one it is sent.
const maxEnvRequests = 64

// maxEnvRequestBytes caps one "env" request: the variables a terminal
// sends (LANG, LC_*, COLORTERM, NO_COLOR) are short, and the library keeps
// and copies each one for the whole session.
const maxEnvRequestBytes = 1024

// Caps on an "exec" request's command line. charmbracelet/ssh splits it
// again on every Command() call, in time quadratic in a word's length (a
// 100 KiB word took seconds). Staff notes may be passed as words (up to
// 5,000 characters); a client's command is only ever refused, so any
// length will do for its message.
const (
	maxStaffCommandBytes  = 32 << 10
	maxClientCommandBytes = 1 << 10
)

type connInfoKey struct{}

// connInfo is what the server keeps per connection, in its ssh.Context.
type connInfo struct {
	conn     *trackedConn
	channels atomic.Int32
}

func (s *Server) connCallback(ctx ssh.Context, conn net.Conn) net.Conn {
	info := &connInfo{}
	if tc, ok := conn.(*trackedConn); ok {
		info.conn = tc
	}
	ctx.SetValue(connInfoKey{}, info)
	return conn
}

func connInfoOf(ctx ssh.Context) *connInfo {
	info, _ := ctx.Value(connInfoKey{}).(*connInfo)
	return info
}

// sessionChannel accepts one session channel per connection and refuses
// agent forwarding on it; the library's session handler does the rest.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	info := connInfoOf(ctx)
	if info == nil || info.channels.Add(1) > 1 {
		_ = nc.Reject(gossh.Prohibited, "one session per connection")
		return
	}
	maxCommand := maxClientCommandBytes
	if conn.User() == s.cfg.StaffUser { // the name it authenticated as, not the first tried
		maxCommand = maxStaffCommandBytes
	}
	ssh.DefaultSessionHandler(srv, conn, filteredChannel{NewChannel: nc, s: s, maxCommand: maxCommand}, ctx)
}

// filteredChannel hands the library a request stream without the requests
// the portal refuses.
type filteredChannel struct {
	gossh.NewChannel
	s          *Server
	maxCommand int
}

func (f filteredChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, in, err := f.NewChannel.Accept()
	if err != nil {
		return ch, in, err //nolint:wrapcheck // the library only checks it is non-nil
	}
	out := make(chan *gossh.Request)
	go f.s.filterRequests(in, out, f.maxCommand)
	return ch, out, nil
}

func (s *Server) filterRequests(in <-chan *gossh.Request, out chan<- *gossh.Request, maxCommand int) {
	defer close(out)
	defer s.recoverGoroutine("channel requests")
	env := 0
	for req := range in {
		switch req.Type {
		case "auth-agent-req@openssh.com", "x11-req":
			_ = req.Reply(false, nil)
			continue
		case "exec":
			if len(req.Payload) > maxCommand {
				_ = req.Reply(false, nil)
				continue
			}
		case "env":
			if env++; env > maxEnvRequests || len(req.Payload) > maxEnvRequestBytes {
				_ = req.Reply(false, nil)
				continue
			}
		}
		out <- req
	}
}
