package ui

import (
	"context"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
)

// Runner is one portal call a screen may have running at a time, off the
// Update loop. Each call's context ends with the session or when the
// screen gives the call up (Stop, a new Run, the screen's Leave), and each
// call is numbered, so that the answer of a call given up on is never taken
// for the next one's. A Runner belongs to one screen and is kept in it by
// value; it is not copied once a call ran.
type Runner struct {
	ctx    context.Context
	spin   *spinner.Model // nil: the busy line has no spinner
	cancel context.CancelFunc
	seq    int
}

// NewRunner makes a runner whose calls end with ctx, the session's.
func NewRunner(ctx context.Context) Runner { return Runner{ctx: ctx} }

// NewSpinRunner is NewRunner with a spinner turning on the busy line while
// a call runs.
func NewSpinRunner(ctx context.Context, st *Styles) Runner {
	s := NewSpinner(st)
	return Runner{ctx: ctx, spin: &s}
}

// Result is the answer of a call a Runner made: the value the call
// returned, or its error. It names the screen that made the call (Target)
// and which call of which runner it answers; Runner.Take tells whether it
// is still the one awaited.
type Result[T any] struct {
	Val   T
	Err   error
	owner Screen
	from  *Runner
	seq   int
}

// Target is the screen that made the call (see Routed).
func (r Result[T]) Target() Screen { return r.owner }

func (r Result[T]) call() (*Runner, int) { return r.from, r.seq }

// answer is what every Result is, whatever its value.
type answer interface{ call() (*Runner, int) }

// Run starts fn for owner on r, giving up the call r had running. Its
// answer comes back as a Result[T].
func Run[T any](r *Runner, owner Screen, fn func(ctx context.Context) (T, error)) tea.Cmd {
	r.Stop()
	parent := r.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	r.seq++
	seq := r.seq
	call := func() tea.Msg {
		defer cancel()
		v, err := fn(ctx)
		return Result[T]{Val: v, Err: err, owner: owner, from: r, seq: seq}
	}
	if r.spin == nil {
		return call
	}
	return tea.Batch(call, r.spin.Tick)
}

// Take reports whether msg is the answer of r's running call, and marks
// the call finished when it is. The answer of a call given up on, or of
// another runner's, is not.
func (r *Runner) Take(msg tea.Msg) bool {
	a, ok := msg.(answer)
	if !ok {
		return false
	}
	from, seq := a.call()
	if from != r || seq != r.seq || !r.Busy() {
		return false
	}
	r.Stop()
	return true
}

// Busy reports whether a call runs.
func (r *Runner) Busy() bool { return r.cancel != nil }

// Stop gives up the running call, if any.
func (r *Runner) Stop() {
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// Tick turns the spinner while a call runs; ok reports whether msg was a
// spinner's tick at all. The spinner stops ticking once no call runs.
func (r *Runner) Tick(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	t, ok := msg.(spinner.TickMsg)
	if !ok || r.spin == nil || !r.Busy() {
		return nil, ok
	}
	*r.spin, cmd = r.spin.Update(t)
	return cmd, true
}

// Key is what msg is to a screen whose keys are choices, with no text
// input, while this runner may be busy: the spinner's tick, whose command
// cmd the screen returns (see Tick), or a key typed (ok). Any other
// message, and a paste, which is text typed where nothing takes it, is
// neither.
func (r *Runner) Key(msg tea.Msg) (km tea.KeyMsg, cmd tea.Cmd, ok bool) {
	if cmd, tick := r.Tick(msg); tick {
		return km, cmd, false
	}
	km, ok = msg.(tea.KeyMsg)
	return km, nil, ok && !km.Paste
}

// Spinner is the spinner's frame (it turns while a call runs), or "" for a
// runner without one.
func (r *Runner) Spinner() string {
	if r.spin == nil {
		return ""
	}
	return r.spin.View()
}

// Status is the busy line while a call runs (the spinner, if any, and
// label), or "".
func (r *Runner) Status(st *Styles, label string) string {
	if !r.Busy() {
		return ""
	}
	if r.spin == nil {
		return st.Subtle.Render(label)
	}
	return r.Spinner() + " " + st.Subtle.Render(label)
}
