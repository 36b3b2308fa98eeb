// Package uitest drives the portal's Bubble Tea models in tests as the
// server's program would, but in the test's own goroutine: every command
// runs to completion and its message is fed back, so after each step the
// model has settled and its View can be read.
package uitest

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/tui/ui"
)

// Session is a session as the server makes one, with a renderer of its own
// that draws no colour: any ESC byte in a view then came from data. Ends
// counts the calls to its End; the context ends with the test.
func Session(t testing.TB, user, remoteAddr string) (sess ui.Session, cancel context.CancelFunc, ends *atomic.Int32) {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ends = new(atomic.Int32)
	return ui.Session{
		Context:    ctx,
		ID:         fmt.Sprintf("test-%p", ends), // unique per session
		User:       user,
		RemoteAddr: remoteAddr,
		Renderer:   r,
		End:        func() { ends.Add(1) },
	}, cancel, ends
}

// Driver runs one model.
type Driver struct {
	T     testing.TB
	Model tea.Model
	// Quit is set once the model asked to quit.
	Quit bool
	// Drop names messages not to deliver: those that would ask for
	// themselves again forever (a spinner's tick, a refresh timer).
	Drop func(tea.Msg) bool
	// Hold names messages to keep in Held instead of delivering them, so
	// that a test can deliver them late.
	Hold func(tea.Msg) bool
	Held []tea.Msg
}

// Send delivers msg and runs what it causes.
func (d *Driver) Send(msg tea.Msg) {
	d.T.Helper()
	_, cmd := d.Model.Update(msg)
	d.Run(cmd)
}

// Run runs cmd and every command its messages cause.
func (d *Driver) Run(cmd tea.Cmd) {
	d.T.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			d.T.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if seq, ok := sequence(msg); ok {
			// tea.Sequence: its commands in order, each settled before
			// the next, as the program runs them.
			for _, sc := range seq {
				d.Run(sc)
			}
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			d.Quit = true
		default:
			if d.Drop != nil && d.Drop(msg) {
				continue
			}
			if d.Hold != nil && d.Hold(msg) {
				d.Held = append(d.Held, msg)
				continue
			}
			_, next := d.Model.Update(msg)
			queue = append(queue, next)
		}
	}
}

// Press sends named keys ("enter", "esc", "ctrl+r", "a"…) as Bubble Tea
// reports them.
func (d *Driver) Press(names ...string) {
	d.T.Helper()
	for _, n := range names {
		d.Send(Key(n))
	}
}

// Type types s one rune at a time.
func (d *Driver) Type(s string) {
	d.T.Helper()
	for _, r := range s {
		d.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// Paste pastes s in one go, as a terminal's bracketed paste does.
func (d *Driver) Paste(s string) {
	d.T.Helper()
	d.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

// Fill types each value into the focused field in turn, Enter after each:
// the last Enter submits the form.
func (d *Driver) Fill(values ...string) {
	d.T.Helper()
	for _, v := range values {
		d.Type(v)
		d.Press("enter")
	}
}

// View is the model's view now.
func (d *Driver) View() string { return d.Model.View() }

// RequireView fails the test unless the view holds every text.
func (d *Driver) RequireView(want ...string) {
	d.T.Helper()
	v := d.View()
	for _, w := range want {
		if !strings.Contains(v, w) {
			d.T.Fatalf("view lacks %q:\n%s", w, v)
		}
	}
}

// RefuseView fails the test if the view holds any of the texts.
func (d *Driver) RefuseView(bad ...string) {
	d.T.Helper()
	v := d.View()
	for _, b := range bad {
		if strings.Contains(v, b) {
			d.T.Fatalf("view has %q:\n%s", b, v)
		}
	}
}

// Key is the key message Bubble Tea reports for a key name; anything not
// named is typed as runes.
func Key(name string) tea.KeyMsg {
	types := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"esc": tea.KeyEsc, "up": tea.KeyUp, "down": tea.KeyDown, "end": tea.KeyEnd, "home": tea.KeyHome,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "backspace": tea.KeyBackspace,
		"ctrl+c": tea.KeyCtrlC, "ctrl+r": tea.KeyCtrlR, "ctrl+t": tea.KeyCtrlT, "ctrl+s": tea.KeyCtrlS,
		"ctrl+u": tea.KeyCtrlU, "left": tea.KeyLeft, "right": tea.KeyRight,
	}
	if t, ok := types[name]; ok {
		return tea.KeyMsg{Type: t}
	}
	if name == "space" {
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// sequence unpacks the message of tea.Sequence, whose type Bubble Tea does
// not export: a slice of commands.
func sequence(msg tea.Msg) ([]tea.Cmd, bool) {
	v := reflect.ValueOf(msg)
	if !v.IsValid() || v.Kind() != reflect.Slice || v.Type().Elem() != reflect.TypeOf(tea.Cmd(nil)) {
		return nil, false
	}
	if _, batch := msg.(tea.BatchMsg); batch {
		return nil, false
	}
	cmds := make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i], _ = v.Index(i).Interface().(tea.Cmd)
	}
	return cmds, true
}
