// Package client is the client side of the portal: the Bubble Tea program a
// client sees over SSH, from the welcome screen through log in, sign up,
// password reset and invitations to the home screen and the client's
// requests.
//
// Each screen is a small model of its own (welcome, language, login,
// signUp, verify, forgot, reset, invite, home, password, profile; for
// requests typeChooser, requestForm, confirm, requestList, requestPage,
// note). The parent Model owns the session (who is logged in, the
// language, the terminal's size) and moves between screens when a screen
// sends it a navigation message; a screen never builds another screen
// itself, so the routes are all in one place (model.go).
//
// The session speaks the language of the locale the client's terminal
// sent, or English, until the person picks one on the welcome screen or
// logs in (see Model.logIn for what is remembered on the account). A
// change of language makes new deps with the new Printer and new screens.
//
// Every call into internal/portal runs in a tea.Cmd with a context derived
// from the SSH session's, never in Update: hashing a password takes tens of
// milliseconds and the database may wait, and the UI must keep drawing and
// must stop waiting the moment the session ends.
package client
