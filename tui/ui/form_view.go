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
	lines, _, _ := f.viewLines()
	return strings.Join(lines, "\n")
}

// FocusSpan returns the first and last line of View that the focused
// field takes (its label, input and error), so that a screen too short for
// the whole form can keep the field in sight.
func (f *Form) FocusSpan() (top, bottom int) {
	_, top, bottom = f.viewLines()
	return top, bottom
}

// HasFormError reports whether the form-level error is shown (last in
// View).
func (f *Form) HasFormError() bool { return f.formErr != "" }

func (f *Form) viewLines() (lines []string, focusTop, focusBottom int) {
	for i := range f.fields {
		fd := &f.fields[i]
		top := len(lines)
		marker, label := noMarker, f.st.Label.Render(fd.Label)
		if i == f.focus {
			marker = f.st.Marker.Render(focusMarker)
			label = f.st.FocusedLabel.Render(fd.Label)
		}
		inline := f.inline && !(fd.area != nil && f.areaBelow)
		indent := len(noMarker)
		if inline {
			indent += f.labelW + labelGap
		}
		input := f.inputLines(fd, indent)
		if inline {
			pad := f.labelW - lipgloss.Width(fd.Label) + labelGap
			lines = append(lines, marker+label+strings.Repeat(" ", pad)+input[0])
			for _, l := range input[1:] {
				lines = append(lines, strings.Repeat(" ", indent)+l)
			}
		} else {
			lines = append(lines, marker+label)
			for _, l := range input {
				lines = append(lines, noMarker+l)
			}
		}
		if fd.err != "" {
			lines = append(lines, f.errorLines(fd.err, indent)...)
		}
		if i == f.focus {
			focusTop, focusBottom = top, len(lines)-1
		}
	}
	if f.formErr != "" {
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, f.errorLines(f.formErr, 0)...)
	}
	return lines, focusTop, focusBottom
}

// inputLines draws what a field holds: one line for an input or a
// chooser, the rows of a text area.
func (f *Form) inputLines(fd *formField, indent int) []string {
	switch {
	case fd.area != nil:
		return fd.areaLines()
	case fd.isChoice():
		return []string{f.choiceView(fd, max(1, f.width-indent))}
	}
	return []string{fd.input.View()}
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

// areaLines draws the field's text area. A focused area is drawn afresh
// every time; one without focus only when something it shows has changed.
func (fd *formField) areaLines() []string {
	a := fd.area
	if a.Focused() {
		fd.blurredArea.lines = nil
		return strings.Split(a.View(), "\n")
	}
	key := areaViewKey{value: a.Value(), width: a.Width(), height: a.Height(), line: a.Line(), info: a.LineInfo()}
	if fd.blurredArea.lines == nil || fd.blurredArea.key != key {
		fd.blurredArea.key = key
		fd.blurredArea.lines = strings.Split(a.View(), "\n")
	}
	return fd.blurredArea.lines
}
