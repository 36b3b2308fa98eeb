// Package floor is the load benchmark's floor: a bare wish v1.4.7 +
// bubbletea app showing one text input, served with wish's stock bubbletea
// middleware the way a typical app is (MakeRenderer for its styles, a
// blinking cursor, the alt screen). The portal's figures are read as ratios
// of the floor's, measured in the same run on the same machine, so that
// the machine's own speed cancels out.
package floor

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	"github.com/charmbracelet/wish/bubbletea"
	gossh "golang.org/x/crypto/ssh"
)

// Banner is the floor's first line: its first frame has arrived once the
// client sees it.
const Banner = "Floor ready"

// Serve serves the floor on ln until ctx ends. Every user gets in by
// keyboard-interactive authentication with no questions. hostKeyPath is
// made when missing.
func Serve(ctx context.Context, ln net.Listener, hostKeyPath string) error {
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(hostKeyPath),
		wish.WithKeyboardInteractiveAuth(func(ssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true }),
		wish.WithMiddleware(
			bubbletea.Middleware(handler),
			activeterm.Middleware(),
		),
	)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, ssh.ErrServerClosed) {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}

// handler is the typical wish handler: styles from MakeRenderer (which asks
// the client's terminal for its background colour), one focused text
// input, the alt screen.
func handler(s ssh.Session) (tea.Model, []tea.ProgramOption) {
	r := bubbletea.MakeRenderer(s)
	in := textinput.New()
	in.Placeholder = "type something"
	in.Focus()
	m := model{
		title: r.NewStyle().Bold(true).Foreground(lipgloss.Color("205")),
		in:    in,
	}
	return m, []tea.ProgramOption{tea.WithAltScreen()}
}

type model struct {
	title lipgloss.Style
	in    textinput.Model
}

func (m model) Init() tea.Cmd { return textinput.Blink }

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && (k.Type == tea.KeyCtrlC || k.Type == tea.KeyEsc) {
		return m, tea.Quit
	}
	var cmd tea.Cmd
	m.in, cmd = m.in.Update(msg)
	return m, cmd
}

func (m model) View() string {
	return m.title.Render(Banner) + "\n\n" + m.in.View() + "\n"
}
