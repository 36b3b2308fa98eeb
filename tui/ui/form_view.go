package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/text"
)

// View draws the fields top to bottom: the focused one marked, each error
// on the line under its field, aligned with the input, and the form-level
// error last.
func (f *Form) View() string {
	var lines []string
	for i := range f.fields {
		fd := &f.fields[i]
		marker, label := noMarker, f.st.Label.Render(fd.Label)
		if i == f.focus {
			marker = f.st.Marker.Render(focusMarker)
			label = f.st.FocusedLabel.Render(fd.Label)
		}
		indent := len(noMarker)
		if f.inline {
			pad := f.labelW - lipgloss.Width(fd.Label) + labelGap
			lines = append(lines, marker+label+strings.Repeat(" ", pad)+fd.input.View())
			indent += f.labelW + labelGap
		} else {
			lines = append(lines, marker+label, noMarker+fd.input.View())
		}
		if fd.err != "" {
			lines = append(lines, f.errorLines(fd.err, indent)...)
		}
	}
	if f.formErr != "" {
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, f.errorLines(f.formErr, 0)...)
	}
	return strings.Join(lines, "\n")
}

// errorLines wraps an error to the form's width, indented; the mark makes
// it an error on a terminal that shows no colour.
func (f *Form) errorLines(msg string, indent int) []string {
	w := max(1, f.width-indent)
	wrapped := ansi.Wrap(errorMark+text.Sanitize(msg), w, "")
	out := strings.Split(wrapped, "\n")
	pad := strings.Repeat(" ", indent)
	for i, l := range out {
		out[i] = pad + f.st.Error.Render(l)
	}
	return out
}
