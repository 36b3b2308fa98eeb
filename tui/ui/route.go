package ui

import tea "github.com/charmbracelet/bubbletea"

// Route carries where a screen asked to go (open a screen, go back, log
// in) to its parent model within the same Update, instead of through a
// command's goroutine: the next screen is then in place before the next
// key is read, so keys typed right after a step reach the screen it opens,
// in order, never the one it left. One Route serves one session.
type Route struct{ next []tea.Msg }

// Go asks the parent to act on msg as soon as the screen's Update returns.
// It returns nil, so a screen can end with return route.Go(msg).
func (r *Route) Go(msg tea.Msg) tea.Cmd {
	r.next = append(r.next, msg)
	return nil
}

// Follow acts on what was asked for, with the parent's update, depth
// first: what a step asks for comes before the steps that were already
// waiting (a key typed ahead that opens a screen is followed by that screen
// opening, then by the next key). cmd is what the message that started it
// returned; the result batches it with every step's.
func (r *Route) Follow(update func(tea.Msg) tea.Cmd, cmd tea.Cmd) tea.Cmd {
	cmds := []tea.Cmd{cmd}
	pending := r.take()
	for len(pending) > 0 {
		cmds = append(cmds, update(pending[0]))
		pending = append(r.take(), pending[1:]...)
	}
	return tea.Batch(cmds...)
}

func (r *Route) take() []tea.Msg {
	next := r.next
	r.next = nil
	return next
}
