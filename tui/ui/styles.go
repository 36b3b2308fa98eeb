package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Symbols drawn by the components. They are the cue a terminal without
// colour or attributes (the Ascii profile renders neither) still shows, so
// focus and errors never depend on colour alone.
const (
	focusMarker   = "> "
	noMarker      = "  "
	errorMark     = "! "
	maskFancy     = '•'
	maskPlain     = '*'
	ellipsis      = "…"
	helpSeparator = " • "
)

// Styles is every style one session draws with. Make it with NewStyles from
// the session's renderer and share it between that session's screens only.
//
// Adaptive colours ask the renderer whether the background is dark; the
// server must set that (SetHasDarkBackground) when it makes the renderer,
// or the first render would query the client's terminal and wait on it.
type Styles struct {
	// Renderer is the session renderer every style here was made from; use
	// it (Renderer.NewStyle) for any one-off style a screen needs.
	Renderer *lipgloss.Renderer
	// Plain is true when the terminal renders no colour or attributes
	// (termenv.Ascii): components then lean on markers alone.
	Plain bool
	// Mask is the character a password field shows for each typed one.
	Mask rune

	TitleBar     lipgloss.Style // the application bar at the top of the frame
	Title        lipgloss.Style // a screen's heading inside the body
	Subtle       lipgloss.Style // secondary text
	Label        lipgloss.Style // a field's label
	FocusedLabel lipgloss.Style // the label of the field being typed in
	Marker       lipgloss.Style // the focus marker beside a field or menu item
	Field        lipgloss.Style // text typed in a field
	Placeholder  lipgloss.Style // a field's placeholder
	Cursor       lipgloss.Style // the text cursor (drawn reversed)
	Error        lipgloss.Style // an error beside a field or under a form
	Success      lipgloss.Style // a success or notice line
	KeyHint      lipgloss.Style // a hotkey shown beside a menu item
	MenuSelected lipgloss.Style // the selected menu item
	MenuItem     lipgloss.Style // every other menu item
	Box          lipgloss.Style // a bordered box
	Spinner      lipgloss.Style // the spinner's frames

	// Help goes on help.Model.Styles, so that help renders with this
	// session's renderer and not bubbles' defaults (the global one).
	Help help.Styles
}

// NewStyles makes the styles of one session from its renderer.
func NewStyles(r *lipgloss.Renderer) *Styles {
	// The palette, local so that nothing here is package state: one navy
	// accent with greys and the usual red and green, each with a variant for
	// light and for dark backgrounds.
	var (
		colAccent  = lipgloss.AdaptiveColor{Light: "#1F3A5F", Dark: "#9DB8D9"}
		colSubtle  = lipgloss.AdaptiveColor{Light: "#6B7280", Dark: "#9CA3AF"}
		colText    = lipgloss.AdaptiveColor{Light: "#111827", Dark: "#E5E7EB"}
		colError   = lipgloss.AdaptiveColor{Light: "#B42318", Dark: "#F97066"}
		colSuccess = lipgloss.AdaptiveColor{Light: "#067647", Dark: "#47CD89"}
		colBarBg   = lipgloss.AdaptiveColor{Light: "#1F3A5F", Dark: "#2C4A6E"}
		colBarFg   = lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#F3F4F6"}
	)
	plain := r.ColorProfile() == termenv.Ascii
	mask := maskFancy
	if plain {
		mask = maskPlain
	}
	subtle := r.NewStyle().Foreground(colSubtle)
	keyStyle := r.NewStyle().Foreground(colAccent).Bold(true)
	return &Styles{
		Renderer: r,
		Plain:    plain,
		Mask:     mask,

		TitleBar:     r.NewStyle().Foreground(colBarFg).Background(colBarBg).Bold(true),
		Title:        r.NewStyle().Foreground(colAccent).Bold(true),
		Subtle:       subtle,
		Label:        r.NewStyle().Foreground(colText),
		FocusedLabel: r.NewStyle().Foreground(colAccent).Bold(true),
		Marker:       r.NewStyle().Foreground(colAccent).Bold(true),
		Field:        r.NewStyle().Foreground(colText),
		Placeholder:  subtle.Faint(true),
		Cursor:       r.NewStyle().Foreground(colAccent),
		Error:        r.NewStyle().Foreground(colError).Bold(true),
		Success:      r.NewStyle().Foreground(colSuccess).Bold(true),
		KeyHint:      keyStyle,
		MenuSelected: r.NewStyle().Foreground(colAccent).Bold(true).Underline(true),
		MenuItem:     r.NewStyle().Foreground(colText),
		Box:          r.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(colSubtle).Padding(0, 1),
		Spinner:      r.NewStyle().Foreground(colAccent),

		Help: help.Styles{
			Ellipsis:       subtle,
			ShortKey:       keyStyle,
			ShortDesc:      subtle,
			ShortSeparator: subtle.Faint(true),
			FullKey:        keyStyle,
			FullDesc:       subtle,
			FullSeparator:  subtle.Faint(true),
		},
	}
}
