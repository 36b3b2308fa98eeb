package ui

import (
	"context"

	"github.com/charmbracelet/lipgloss"
)

// Session is what a screen needs from the SSH session it is shown in. The
// server makes one per SSH session; nothing in it is shared between sessions.
type Session struct {
	// Context ends when the SSH session ends, however it ends. Every command
	// a model starts must honour it.
	Context context.Context
	// ID identifies the SSH session in logs and in the live-session registry.
	ID string
	// User is the SSH user name the session came in with.
	User string
	// RemoteAddr is the client's address as "host:port".
	RemoteAddr string
	// Locale is the locale the client's environment sent (LC_ALL,
	// LC_MESSAGES or LANG, like "fr_CA.UTF-8"), or "".
	Locale string
	// Renderer is this session's own lipgloss renderer: styles must be made
	// from it, never from the global renderer.
	Renderer *lipgloss.Renderer
	// End ends the SSH session from outside the program (a password reset or
	// a disable elsewhere). Safe from any goroutine and more than once.
	End func()
}
