package admin

import (
	"context"
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
)

// TestFormsAskBeforeDiscarding: with nothing to lose (a blank note, an
// edit put back as it was) Esc leaves at once. Esc on a note with text, or
// on a type form with changes, asks; n or Esc goes back to the text,
// whole; y throws it away and stores nothing. While it asks, keys and
// pastes are answers or nothing, never text.
func TestFormsAskBeforeDiscarding(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		actor    portal.Actor
		open     []string // the keys that open the form
		nothing  []string // keys that leave nothing to lose
		back     string   // what the screen under the form shows
		question string
		value    func(s screen) string // what the form holds
		stored   func(env *portaltest.Env) string
	}{
		{name: "note", actor: supportActor, open: []string{"2", "enter", "n"}, nothing: []string{" ", "enter", " "},
			back: "History", question: "Discard this note? Its text is lost. y/n",
			value:  func(s screen) string { return s.(*noteForm).area.value() },
			stored: func(env *portaltest.Env) string { return fmt.Sprint(page(t, env, 1).Events) }},
		{name: "type", actor: adminActor, open: []string{"6", "t", "e"}, nothing: []string{"x", "backspace"},
			back: "Request types", question: "Discard your changes to this request type? y/n",
			value: func(s screen) string { return s.(*typeForm).name.Value() },
			stored: func(env *portaltest.Env) string {
				ts, _ := env.Service.RequestTypes(ctx, env.Admin())
				return fmt.Sprint(ts)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			requestFixture(t, env)
			before := tc.stored(env)
			h := newHarness(t, env, tc.actor)
			h.Press(tc.open...)
			h.Press(tc.nothing...)
			h.Press("esc")
			h.RequireView(tc.back)
			h.RefuseView("Discard")

			h.Press(tc.open[len(tc.open)-1]) // open again, from the screen under it
			form := h.m.current()
			start := tc.value(form)
			h.Type("Call the landlord.")
			h.Press("esc")
			h.RequireView(tc.question, "y discard", "n keep writing")
			h.Type("x")
			h.Paste("pasted")
			h.Send(ctrlS)
			h.Press("ctrl+t", "tab")
			h.RequireView(tc.question)
			h.Press("n")
			h.RefuseView("Discard")
			h.Type(" Today.")
			h.Press("esc", "esc")
			h.RefuseView("Discard")
			if v := tc.value(form); v != start+"Call the landlord. Today." {
				t.Fatalf("the form holds %q", v)
			}
			h.Press("esc", "y")
			h.RequireView(tc.back)
			h.RefuseView("Call the landlord", "Discard")
			if got := tc.stored(env); got != before {
				t.Fatalf("stored %s, want %s: what was discarded was stored", got, before)
			}
		})
	}
}

// TestViewsChangeNothing: drawing the screens that size their text to what
// is left changes nothing (sizes, scroll), so that two draws give the same
// frame; the sizing happens on a size change and on every update.
func TestViewsChangeNothing(t *testing.T) {
	env := newEnv(t)
	r, _ := requestFixture(t, env)
	for i := range 30 {
		if err := env.Service.AddNote(context.Background(), env.Admin(), r.ID, "Note "+string(rune('a'+i%26)), false); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, env, adminActor)
	h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.Press("2", "enter")
	detail := h.m.current().(*requestDetail)
	drawTwice := func(what string, state func() [4]int) {
		t.Helper()
		before := state()
		first := h.View()
		if after := state(); after != before {
			t.Fatalf("%s: drawing changed %v to %v", what, before, after)
		}
		if second := h.View(); second != first {
			t.Fatalf("%s: two draws differ:\n%s\n---\n%s", what, first, second)
		}
	}
	vp := func() [4]int {
		return [4]int{detail.vp.Width, detail.vp.Height, detail.vp.YOffset, detail.vp.TotalLineCount()}
	}
	drawTwice("request", vp)
	h.Press("end")
	drawTwice("request at the end", vp)
	// A new size (no other message), then an outcome line that grows the
	// head: the history is sized for each before any draw.
	detail.SetSize(70, 15)
	drawTwice("request resized", vp)
	if detail.vp.Height != 9 || !detail.vp.AtBottom() {
		t.Fatalf("after a resize the history has %d rows, at the bottom: %v", detail.vp.Height, detail.vp.AtBottom())
	}
	// Straight to the screen: the console would size it again.
	detail.Update(answer[outcome](&detail.act, detail, moved{detail.id, "done"}, context.DeadlineExceeded))
	drawTwice("request with an outcome", vp)
	if detail.vp.Height != 8 || !detail.vp.AtBottom() {
		t.Fatalf("with an outcome line the history has %d rows, at the bottom: %v", detail.vp.Height, detail.vp.AtBottom())
	}

	h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.Press("n")
	note := h.m.current().(*noteForm)
	area := func() [4]int { return [4]int{note.area.ta.Width(), note.area.ta.Height(), 0, 0} }
	drawTwice("note", area)
	h.Press("ctrl+t")
	drawTwice("visible note", area)
	note.SetSize(40, 12)
	drawTwice("note resized", area)
	h.Type("Some text.")
	h.Press("esc")
	drawTwice("note asking", area)

	h.Press("y", "esc", "esc", "6", "t", "a")
	form := h.m.current().(*typeForm)
	fields := func() [4]int {
		return [4]int{form.fields.ta.Width(), form.fields.ta.Height(), form.name.Width, form.desc.Width}
	}
	drawTwice("type form", fields)
	form.SetSize(50, 20)
	drawTwice("type form resized", fields)
	h.Send(ctrlS)
	drawTwice("type form with errors", fields)
}
