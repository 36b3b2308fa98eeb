package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Page joins a screen's parts with a blank line between them, leaving out
// the empty ones.
func Page(parts ...string) string { return join(parts, "\n\n") }

// Lines joins parts one a line, leaving out the empty ones.
func Lines(parts ...string) string { return join(parts, "\n") }

func join(parts []string, sep string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Para wraps a paragraph to the width and styles it line by line (a
// multi-line Render would pad every line to the longest). Callers pass text
// already sanitized where it holds anything a person typed.
func Para(st lipgloss.Style, s string, w int) string {
	if s == "" {
		return ""
	}
	ls := strings.Split(ansi.Wrap(s, max(1, w), ""), "\n")
	for i, l := range ls {
		ls[i] = st.Render(strings.TrimRight(l, " "))
	}
	return strings.Join(ls, "\n")
}
