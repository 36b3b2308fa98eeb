package ui

import "github.com/charmbracelet/bubbles/spinner"

// NewSpinner returns a spinner for long work drawn with the session's
// styles. A plain terminal gets the ASCII line spinner, as it may not draw
// the dots. The spinner ticks while shown, so stop showing it (and stop
// passing its ticks on) when the work is done.
func NewSpinner(st *Styles) spinner.Model {
	frames := spinner.MiniDot
	if st.Plain {
		frames = spinner.Line
	}
	return spinner.New(spinner.WithSpinner(frames), spinner.WithStyle(st.Spinner))
}
