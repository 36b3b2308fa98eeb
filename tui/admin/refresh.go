package admin

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// refreshMsg asks the screen whose timer sent it (owner) to refresh, if
// seq is still that timer's.
type refreshMsg struct {
	owner
	seq int
}

// refresher is the timer of a screen that refreshes itself while shown
// (the queues, the outbox, a request): each showing starts a timer of its
// own, and a tick from before the last showing or hiding finds seq moved
// and ends, so that no two timers ever run for one screen.
type refresher struct {
	shown bool
	seq   int
}

// show starts a new timer; tick sends its first tick.
func (r *refresher) show() { r.shown, r.seq = true, r.seq+1 }

// hide stops the timer: the tick in flight does nothing.
func (r *refresher) hide() { r.shown, r.seq = false, r.seq+1 }

// due reports whether msg is a tick of the running timer.
func (r *refresher) due(msg refreshMsg) bool { return r.shown && msg.seq == r.seq }

// tick is the timer's next tick for s, every from now.
func (r *refresher) tick(s screen, every time.Duration) tea.Cmd {
	seq := r.seq
	return tea.Tick(every, func(time.Time) tea.Msg { return refreshMsg{owner: owner{s}, seq: seq} })
}
