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
	// windows is the latest terminal size the client sent: there is one
	// session channel per connection, so one size.
	windows windowState
	// releaseSlot gives back the session's place in the session limits;
	// set by limitsMiddleware, safe to call more than once.
	releaseSlot func()
}

// windowState is the latest window size a client sent, taken by the
// channel's request loop without waiting on anyone. The session's program
// reads it when it can; sizes in between are never drawn.
type windowState struct {
	// latest is cols<<32 | rows, clamped, with windowSet set once a
	// window-change came; 0 before.
	latest  atomic.Uint64
	changed chan struct{} // one pending wake-up, never more
}

const windowSet = 1 << 63

func (w *windowState) set(cols, rows uint32) {
	w.latest.Store(windowSet | uint64(min(cols, maxWindowCols))<<32 | uint64(min(rows, maxWindowRows)))
	select {
	case w.changed <- struct{}{}:
	default: // a wake-up is pending; it will read this size
	}
}

// get is the latest size, and false when no window-change came yet.
func (w *windowState) get() (cols, rows int, ok bool) {
	v := w.latest.Load()
	if v&windowSet == 0 {
		return 0, 0, false
	}
	return int(v >> 32 & 0x7fffffff), int(v & 0xffffffff), true
}

func (s *Server) connCallback(ctx ssh.Context, conn net.Conn) net.Conn {
	info := &connInfo{windows: windowState{changed: make(chan struct{}, 1)}}
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
	ssh.DefaultSessionHandler(srv, conn, filteredChannel{NewChannel: nc, s: s, maxCommand: maxCommand, windows: &info.windows}, ctx)
}

// filteredChannel hands the library a request stream without the requests
// the portal refuses, and without window changes, which it takes itself.
type filteredChannel struct {
	gossh.NewChannel
	s          *Server
	maxCommand int
	windows    *windowState
}

func (f filteredChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, in, err := f.NewChannel.Accept()
	if err != nil {
		return ch, in, err //nolint:wrapcheck // the library only checks it is non-nil
	}
	out := make(chan *gossh.Request)
	go f.s.filterRequests(in, out, f.maxCommand, f.windows)
	return ch, out, nil
}

// filterRequests runs for the channel's whole life. It must never wait on
// the session: x/crypto's connection loop, the only reader of the socket,
// waits for it to take each request, so a request stuck behind the program
// would leave the client's window adjustments and its close unread. The
// library's own window-change handling does wait: it hands each size on a
// channel of one that the program's side reads, and that side waits for
// the program, which may wait for the client to read its output.
func (s *Server) filterRequests(in <-chan *gossh.Request, out chan<- *gossh.Request, maxCommand int, windows *windowState) {
	defer close(out)
	defer s.recoverGoroutine("channel requests")
	env := 0
	pty := false
	for req := range in {
		switch req.Type {
		case "window-change":
			var w struct{ Cols, Rows, Width, Height uint32 }
			ok := pty && gossh.Unmarshal(req.Payload, &w) == nil
			if ok {
				windows.set(w.Cols, w.Rows)
			}
			_ = req.Reply(ok, nil)
			continue
		case "pty-req":
			pty = true // the library answers it; a refused one has no program
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
