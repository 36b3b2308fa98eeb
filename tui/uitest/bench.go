package uitest

import (
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/tui/ui"
)

// Size is a terminal a render benchmark draws for.
type Size struct {
	Name string
	W, H int
}

// BenchSizes are the terminals every screen is timed on: the smallest the
// programs are designed for, and a large one.
func BenchSizes() []Size { return []Size{{"80x24", 80, 24}, {"200x60", 200, 60}} }

// ColourSession is Session with the colours an xterm-256color terminal
// gets, for benchmarks: a frame then costs what it costs a real session.
func ColourSession(t testing.TB, user, remoteAddr string) ui.Session {
	t.Helper()
	sess, _, _ := Session(t, user, remoteAddr)
	r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.ANSI256))
	r.SetColorProfile(termenv.ANSI256)
	r.SetHasDarkBackground(true)
	sess.Renderer = r
	return sess
}

// Start runs the model's Init and tells it the terminal's size, as the
// program does when a session opens.
func (d *Driver) Start(w, h int) {
	d.T.Helper()
	d.Run(d.Model.Init())
	d.Send(tea.WindowSizeMsg{Width: w, Height: h})
}

// RequireText fails the test unless the view, without its colours, holds
// want.
func (d *Driver) RequireText(want string) {
	d.T.Helper()
	if v := ansi.Strip(d.View()); !strings.Contains(v, want) {
		d.T.Fatalf("the view lacks %q:\n%s", want, v)
	}
}

// BenchFrames times View at each of BenchSizes, in a sub-benchmark each,
// on the screen d's model shows; it reports the frame's size. The frame
// is drawn a few times before the timing starts, so that what is timed is
// the frame a session redraws while the screen stays, not the first one.
func BenchFrames(b *testing.B, d *Driver) {
	atEachSize(b, d, func(b *testing.B, m tea.Model) {
		for range 3 {
			_ = m.View()
		}
		b.ReportAllocs()
		var size int
		for b.Loop() {
			size = len(m.View())
		}
		b.ReportMetric(float64(size), "B/frame")
	})
}

// BenchKeystrokes times, at each of BenchSizes, Update of one key on the
// focused text field and View of the frame that shows it. Keys alternate
// between a letter and Backspace, so the field stays the same length
// however long the run; each op is one key. The command Update returns is
// not run: the program runs commands in goroutines of their own, off the
// path from the key to the frame.
func BenchKeystrokes(b *testing.B, d *Driver) {
	atEachSize(b, d, func(b *testing.B, m tea.Model) {
		keys := []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune{'e'}}, {Type: tea.KeyBackspace}}
		before := ansi.Strip(m.View())
		for i := range 4 {
			m.Update(keys[i%2])
			_ = m.View()
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Update(keys[i%2])
			_ = m.View()
			i++
		}
		if i%2 == 1 {
			m.Update(keys[1])
		}
		// The keys went to the field: it is back as it was.
		if after := ansi.Strip(m.View()); after != before {
			b.Fatalf("the screen changed after typing and erasing:\n%s\nthen:\n%s", before, after)
		}
	})
}

// atEachSize runs bench in a sub-benchmark for each of BenchSizes, with
// d's model told that size first.
func atEachSize(b *testing.B, d *Driver, bench func(*testing.B, tea.Model)) {
	for _, sz := range BenchSizes() {
		b.Run(sz.Name, func(b *testing.B) {
			d.T = b
			d.Send(tea.WindowSizeMsg{Width: sz.W, Height: sz.H})
			bench(b, d.Model)
		})
	}
}
