// Package ui holds the components and styles the client TUI and the staff
// console share: styles made from one session's renderer, a form of text
// inputs (one-line, multi-line text areas and choosers), a hotkey menu,
// help, a spinner and the frame every screen is drawn in.
//
// Nothing here is package-level mutable state and nothing uses lipgloss's
// global renderer: every style comes from the *lipgloss.Renderer of the SSH
// session that shows it (see NewStyles), so two sessions with different
// terminals never see each other's colours. Every word a person reads comes
// from the text catalog; the symbols drawn here (focus marker, error mark)
// are the only literals.
package ui
