package client

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
	"github.com/clientportal/portal/tui/uitest"
)

// fuzzEmail is the client the fuzzer's key sequences may log in as (its
// seeds do), with portaltest.StrongPassword; its stored name and company
// are hostile, as data from elsewhere may be.
const fuzzEmail = "fuzz@example.com"

// FuzzClientUpdate feeds the client program a random sequence of what a
// terminal can send (keys, control bytes, bursts, pastes, resizes down to
// nothing) and checks after every message that the screen drawn is sound:
// valid UTF-8, no control character but the newlines between lines, and no
// line wider than the window.
func FuzzClientUpdate(f *testing.F) {
	login := "l" + fuzzEmail + "\r" + portaltest.StrongPassword + "\r"
	for _, s := range []string{
		"", "l", "s", "f", "i", "\x1b", "\x03", "\x7f\x7f\t\t\r",
		login, login + "n\r", login + "m\r\r", login + "e\x15", login + "p", login + "\x1b\x1b",
		"\x90\x00\x00", "\x90\x01\x01l", "\x90\x05\x03" + login, "\x90\xff\x02" + login + "n",
		"l\x91\x40\x1b[31mred\x1b]0;title\x07\u202eevil\u200b\xc2\x9b2J\xff\xfe\r\r",
		"l\x93\u009b\x93\u202e\x93\u200b\x96\r",
		"l\x92\x10abcdefghijklmnop\x97\r", login + "e\x96\r\r\r",
		"\x95\x30\x95\x00\x95\x7f\x94x\x8a\x8b\x8c\x8d\x8e\x8f",
	} {
		f.Add([]byte(s))
	}
	var clock atomic.Int64
	base := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	// Each run is an hour after the last: a lock out or an address limit
	// that random passwords set has passed by the next.
	env := portaltest.New(f, portal.WithClock(func() time.Time { return base.Add(time.Duration(clock.Load()) * time.Hour) }))
	ctx := context.Background()
	c := env.AddActiveClient(f, fuzzEmail, "Fuzz Client")
	name := "Fuzz \x1b[31mRed\x1b]0;title\x07 \u202eEvil\u200b\u009b2J" + env.InvalidUTF8()
	company := strings.Repeat("宽", 60)
	if err := env.Store.UpdateClient(ctx, c.ID, store.ClientUpdate{Name: &name, Company: &company}); err != nil {
		f.Fatal(err)
	}
	env.AddRequestType(f, "Contract review", portaltest.ContractFields()...)
	env.AddRequestType(f, "Document request", "Documents: multiline, required")
	if err := env.Service.SetSignUpMode(ctx, env.Admin(), vocab.SignUpOn); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		run := clock.Add(1)
		sess, _, _ := uitest.Session(t, "fuzz", fmt.Sprintf("10.%d.%d.%d:4000", run>>16&255, run>>8&255, run&255))
		m := New(env.Service, sess, "")
		d := sessionDriver(t, m)
		d.Run(m.Init())
		w, h := ui.DefaultWidth, ui.DefaultHeight
		fuzzCheckView(t, d.View(), w, h, "the first screen")
		for ops := fuzzMsgs(input); len(ops) > 0 && !d.Quit; ops = ops[1:] {
			if ws, ok := ops[0].(tea.WindowSizeMsg); ok {
				w, h = ws.Width, ws.Height
			}
			d.Send(ops[0])
			fuzzCheckView(t, d.View(), w, h, fmt.Sprintf("%#v", ops[0]))
		}
	})
}

// fuzzMsgs decodes fuzz input as a terminal's input stream, roughly: a
// printable ASCII byte is that key, a control byte the control key a
// terminal sends it as, and bytes from 0x80 name other keys and messages,
// some with operands.
func fuzzMsgs(in []byte) []tea.Msg {
	var out []tea.Msg
	next := func() byte {
		if len(in) == 0 {
			return 0
		}
		b := in[0]
		in = in[1:]
		return b
	}
	take := func(n int) []byte {
		n = min(n, len(in))
		b := in[:n]
		in = in[n:]
		return b
	}
	special := []tea.KeyType{tea.KeyEnter, tea.KeyTab, tea.KeyShiftTab, tea.KeyEsc, tea.KeyUp, tea.KeyDown,
		tea.KeyLeft, tea.KeyRight, tea.KeyBackspace, tea.KeyCtrlC, tea.KeyHome, tea.KeyEnd, tea.KeyPgUp,
		tea.KeyPgDown, tea.KeyDelete, tea.KeySpace}
	for len(in) > 0 && len(out) < 512 {
		b := next()
		switch {
		case b >= 0x20 && b < 0x7f:
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rune(b)}})
		case b < 0x20 || b == 0x7f:
			out = append(out, tea.KeyMsg{Type: tea.KeyType(b)}) // ctrl+@ … ctrl+_, and DEL as backspace
		case b < 0x90:
			k := tea.KeyMsg{Type: special[b-0x80]}
			if k.Type == tea.KeySpace {
				k.Runes = []rune{' '}
			}
			out = append(out, k)
		case b == 0x90: // a resize, to as little as nothing
			out = append(out, tea.WindowSizeMsg{Width: int(next()), Height: int(next())})
		case b == 0x91: // a bracketed paste of what follows
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(string(take(int(next())))), Paste: true})
		case b == 0x92: // a burst: keys typed ahead, read at once
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(string(take(int(next()))))})
		case b == 0x93: // one rune of any kind, C1 and bidi controls too
			r, n := utf8.DecodeRune(in)
			take(n)
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		case b == 0x94:
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rune(next())}, Alt: true})
		case b == 0x95: // any key type Bubble Tea knows, alt or not
			o := next()
			out = append(out, tea.KeyMsg{Type: tea.KeyType(int(o&0x7f) - int(-tea.KeyF20)), Alt: o >= 0x80})
		case b == 0x96: // a huge paste, escapes and all
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("x\x1b[2J\u202e山\r\n", 8<<10)), Paste: true})
		case b == 0x97: // a long word typed fast
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("W", 3000))})
		default:
			out = append(out, tea.KeyMsg{Type: tea.KeyEnter})
		}
	}
	return out
}

// fuzzCheckView fails the test unless view is a sound screen for a window
// w x h: what the frame draws, exactly h lines (nothing at all for an empty
// window), none wider than w, valid UTF-8 with no control character. The
// test renderer draws no colour, so no escape sequence is the renderer's.
func fuzzCheckView(t *testing.T, view string, w, h int, after string) {
	t.Helper()
	if w <= 0 || h <= 0 {
		if view != "" {
			t.Fatalf("after %s: a %dx%d window drew %q", after, w, h, view)
		}
		return
	}
	if !utf8.ValidString(view) {
		t.Fatalf("after %s: invalid UTF-8 in\n%s", after, view)
	}
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("after %s: %d lines in a window %d high:\n%s", after, len(lines), h, view)
	}
	for i, l := range lines {
		if text.Sanitize(l) != l {
			t.Fatalf("after %s: line %d has a control character: %q", after, i+1, l)
		}
		if lw := ansi.StringWidth(l); lw > w {
			t.Fatalf("after %s: line %d is %d wide in a window %d wide: %q", after, i+1, lw, w, l)
		}
	}
}
