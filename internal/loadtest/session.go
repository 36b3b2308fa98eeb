package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// terminalAnswers are the queries a cooperative terminal answers, with the
// answers a dark xterm gives. wish's MakeRenderer sends OSC 11 and then DA1
// and waits for the answers.
var terminalAnswers = []struct{ query, answer string }{
	{"\x1b]11;?", "\x1b]11;rgb:0000/0000/0000\x1b\\"}, // OSC 11: background colour
	{"\x1b[6n", "\x1b[1;1R"},                          // DSR: cursor position
	{"\x1b[c", "\x1b[?62;22c"},                        // DA1
}

// timings of one session, each from before the TCP dial.
type timings struct {
	handshake  time.Duration // SSH handshake and authentication done
	firstByte  time.Duration // the first byte of the session's output
	firstFrame time.Duration // the read that completed the first frame's text
}

// session is one client session: a PTY and a shell, its output read
// (and, for a cooperative terminal, answered) until it ends.
type session struct {
	client *gossh.Client
	stdin  io.Writer
	ended  chan struct{} // closed when the output ends

	mu      sync.Mutex
	keep    bool            // whether read keeps the text for waitFor
	screen  strings.Builder // text of the output since the last mark, escapes stripped
	changed chan struct{}   // signalled after each read
}

// dialSession connects from src as user, asks for an xterm-256color 80x24
// PTY and a shell, and returns once text appears on the screen (or
// timeout passes). A silent terminal never writes a byte.
func dialSession(ctx context.Context, addr string, src net.IP, user, text string, cooperative bool, timeout time.Duration) (*session, timings, error) {
	var tm timings
	start := time.Now()
	deadline := start.Add(timeout)
	d := net.Dialer{Deadline: deadline, LocalAddr: &net.TCPAddr{IP: src}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, tm, fmt.Errorf("dial: %w", err)
	}
	// The deadline bounds everything up to the first frame.
	_ = conn.SetDeadline(deadline)
	cc, chans, reqs, err := gossh.NewClientConn(conn, addr, &gossh.ClientConfig{
		User: user,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return nil, nil
		})},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		_ = conn.Close()
		return nil, tm, fmt.Errorf("handshake: %w", err)
	}
	tm.handshake = time.Since(start)
	client := gossh.NewClient(cc, chans, reqs)
	fail := func(stage string, err error) (*session, timings, error) {
		_ = client.Close()
		return nil, tm, fmt.Errorf("%s: %w", stage, err)
	}
	s, err := client.NewSession()
	if err != nil {
		return fail("session", err)
	}
	if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		return fail("pty", err)
	}
	stdin, err := s.StdinPipe()
	if err != nil {
		return fail("stdin", err)
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		return fail("stdout", err)
	}
	s.Stderr = io.Discard
	if err := s.Shell(); err != nil {
		return fail("shell", err)
	}
	ls := &session{client: client, stdin: stdin, keep: true, ended: make(chan struct{}), changed: make(chan struct{}, 1)}
	firstByte := make(chan time.Duration, 1)
	go ls.read(stdout, cooperative, firstByte, start)

	select {
	case tm.firstByte = <-firstByte:
	case <-ls.ended:
		return fail("first byte", io.ErrUnexpectedEOF)
	}
	if err := ls.waitFor(text, deadline); err != nil {
		return fail("first frame", err)
	}
	tm.firstFrame = time.Since(start)
	_ = conn.SetDeadline(time.Time{})
	ls.hold()
	return ls, tm, nil
}

// read keeps reading the output until it ends: it answers the terminal
// queries of a cooperative terminal and, while the script waits for
// something, keeps the visible text for waitFor. A held session keeps
// nothing, so thousands of them cost the client little.
func (ls *session) read(stdout io.Reader, cooperative bool, firstByte chan<- time.Duration, start time.Time) {
	defer close(ls.ended)
	var win []byte // the end of the last read, then this read
	buf := make([]byte, 8192)
	first := true
	for {
		k, err := stdout.Read(buf)
		if k > 0 {
			if first {
				firstByte <- time.Since(start)
				first = false
			}
			if cooperative {
				tail := len(win)
				win = append(win, buf[:k]...)
				answerQueries(ls.stdin, win, tail)
				win = append(win[:0], win[max(0, len(win)-queryTail):]...)
			}
			ls.mu.Lock()
			if ls.keep && ls.screen.Len() < 1<<20 {
				ls.screen.WriteString(ansi.Strip(string(buf[:k])))
			}
			ls.mu.Unlock()
			select {
			case ls.changed <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// queryTail is how much of a read is kept for the next: enough to hold
// all but the last byte of the longest query, split between two reads.
const queryTail = 16

// answerQueries answers each query in win that ends after its first tail
// bytes (one ending before was answered with the read before).
func answerQueries(w io.Writer, win []byte, tail int) {
	for _, qa := range terminalAnswers {
		q := []byte(qa.query)
		for i := 0; ; {
			j := bytes.Index(win[i:], q)
			if j < 0 {
				break
			}
			if i+j+len(q) > tail {
				_, _ = io.WriteString(w, qa.answer)
			}
			i += j + 1
		}
	}
}

// waitFor waits until text has appeared in the output since the last
// mark, or until deadline.
func (ls *session) waitFor(text string, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		ls.mu.Lock()
		found := strings.Contains(ls.screen.String(), text)
		ls.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-ls.changed:
		case <-ls.ended:
			ls.mu.Lock()
			found := strings.Contains(ls.screen.String(), text)
			ls.mu.Unlock()
			if found {
				return fmt.Errorf("session ended right after %q", text)
			}
			return io.ErrUnexpectedEOF
		case <-timer.C:
			return fmt.Errorf("timeout waiting for %q", text)
		}
	}
}

// mark forgets the output so far and keeps what comes after, for the
// next waitFor.
func (ls *session) mark() {
	ls.mu.Lock()
	ls.screen.Reset()
	ls.keep = true
	ls.mu.Unlock()
}

// hold stops keeping the output.
func (ls *session) hold() {
	ls.mu.Lock()
	ls.screen.Reset()
	ls.keep = false
	ls.mu.Unlock()
}

// send types keys.
func (ls *session) send(keys string) error {
	_, err := io.WriteString(ls.stdin, keys)
	return err
}

func (ls *session) close() { _ = ls.client.Close() }

// isEnded reports whether the session's output has ended.
func (ls *session) isEnded() bool {
	select {
	case <-ls.ended:
		return true
	default:
		return false
	}
}
