// Package client is the client side of the portal: the Bubble Tea program a
// client sees over SSH, from the welcome screen through log in, sign up,
// password reset and invitations to the home screen.
//
// Each screen is a small model of its own (welcome, login, signUp, verify,
// forgot, reset, invite, home, password, profile). The parent Model owns the
// session (who is logged in, the terminal's size) and moves between screens
// when a screen sends it a navigation message; a screen never builds
// another screen itself, so the routes are all in one place (model.go).
//
// Every call into internal/portal runs in a tea.Cmd with a context derived
// from the SSH session's, never in Update: hashing a password takes tens of
// milliseconds and the database may wait, and the UI must keep drawing and
// must stop waiting the moment the session ends.
package client
