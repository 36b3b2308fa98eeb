package client

import (
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/tui/uitest"
)

// TestKeysTypedDuringALogInReachTheNextScreens: keys typed while the log
// in runs go, in order, to the screens they lead to: "p" opens Password on
// the home screen, and "ab" lands in its first field.
func TestKeysTypedDuringALogInReachTheNextScreens(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	call := h.submitLogIn(annEmail, portaltest.StrongPassword)
	h.m.Update(uitest.Key("p"))
	h.m.Update(uitest.Key("a"))
	h.m.Update(uitest.Key("b"))
	h.Run(call)
	pw, ok := h.m.cur.(*password)
	if !ok {
		t.Fatalf("not on password:\n%s", h.View())
	}
	if got := pw.form.Value(portal.FieldCurrent); got != "ab" {
		t.Fatalf("held keys after p went to home, not the password form: current=%q", got)
	}
}

// TestEnterTypedDuringARefusedLogInIsDropped: a second Enter typed while a
// wrong password is checked does not try it again (one failure, not two).
func TestEnterTypedDuringARefusedLogInIsDropped(t *testing.T) {
	env := portaltest.New(t)
	c := env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	call := h.submitLogIn(annEmail, "wrong-password-1")
	h.m.Update(uitest.Key("enter")) // held
	h.Run(call)
	got, err := env.Store.ClientByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FailedLogins != 1 {
		t.Fatalf("one Enter held during a failed log in: %d failed logins", got.FailedLogins)
	}
}

// TestEnterTypedDuringTheCheckNeverSkipsTheReview: a second Enter typed
// while the request is checked does not send it: the review is shown
// first, and only an Enter there sends.
func TestEnterTypedDuringTheCheckNeverSkipsTheReview(t *testing.T) {
	env, ann, h, _ := atRequestForm(t)
	h.Fill("Lease for the shop")
	h.Type("Line one")
	h.Press("tab")
	h.Fill("2026-12-31")
	h.Press("h")
	_, check := h.m.Update(uitest.Key("enter"))
	h.m.Update(uitest.Key("enter")) // a second Enter, held
	h.Run(check)
	if n := len(myRequests(t, env, ann)); n != 0 {
		t.Fatalf("%d request(s) sent without the review ever being shown; on %T", n, h.m.cur)
	}
	if _, ok := h.m.cur.(*confirm); !ok {
		t.Fatalf("not on the review:\n%s", h.View())
	}
}
