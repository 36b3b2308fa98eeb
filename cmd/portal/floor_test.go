package main

// The floor: a bare wish v1.4.7 + bubbletea v1.3.10 app showing one text
// input, served with wish's stock bubbletea middleware the way a typical app
// is (MakeRenderer for its styles, a blinking cursor, the alt screen). The
// load benchmark (load_test.go) runs it as its own process by re-executing
// the test binary with PORTAL_LOAD_CHILD=floor, so it is measured exactly
// like the portal binary: from outside, by its RSS and CPU time in /proc.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	"github.com/charmbracelet/wish/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// floorBanner is the floor's first line: its first frame has arrived once
// the client sees it.
const floorBanner = "Floor ready"

// loadChildEnv selects a child role for the re-executed test binary.
const loadChildEnv = "PORTAL_LOAD_CHILD"

// TestMain runs the floor server instead of the tests when the load
// benchmark starts this binary as its floor; otherwise the suite, on
// SQLite and on PostgreSQL.
func TestMain(m *testing.M) {
	if os.Getenv(loadChildEnv) == "floor" {
		os.Exit(runFloor(os.Getenv("PORTAL_LOAD_HOSTKEY")))
	}
	dbtest.Main(m)
}

// runFloor serves the floor on 127.0.0.1:0, prints the address as its first
// line on stdout, and answers SIGUSR1 with a line "goroutines N". It runs
// until killed.
func runFloor(hostKey string) int {
	if hostKey == "" {
		fmt.Fprintln(os.Stderr, "floor: PORTAL_LOAD_HOSTKEY is not set")
		return 2
	}
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(hostKey),
		wish.WithKeyboardInteractiveAuth(func(ssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true }),
		wish.WithMiddleware(
			bubbletea.Middleware(floorHandler),
			activeterm.Middleware(),
		),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	fmt.Println(ln.Addr().String())
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			fmt.Printf("goroutines %d\n", runtime.NumGoroutine())
		}
	}()
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	return 0
}

// floorHandler is the typical wish handler: styles from MakeRenderer (which
// asks the client's terminal for its background colour), one focused text
// input, the alt screen.
func floorHandler(s ssh.Session) (tea.Model, []tea.ProgramOption) {
	r := bubbletea.MakeRenderer(s)
	in := textinput.New()
	in.Placeholder = "type something"
	in.Focus()
	m := floorModel{
		title: r.NewStyle().Bold(true).Foreground(lipgloss.Color("205")),
		in:    in,
	}
	return m, []tea.ProgramOption{tea.WithAltScreen()}
}

type floorModel struct {
	title lipgloss.Style
	in    textinput.Model
}

func (m floorModel) Init() tea.Cmd { return textinput.Blink }

func (m floorModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && (k.Type == tea.KeyCtrlC || k.Type == tea.KeyEsc) {
		return m, tea.Quit
	}
	var cmd tea.Cmd
	m.in, cmd = m.in.Update(msg)
	return m, cmd
}

func (m floorModel) View() string {
	return m.title.Render(floorBanner) + "\n\n" + m.in.View() + "\n"
}

// floorProcess is a running floor child.
type floorProcess struct {
	cmd   *exec.Cmd
	addr  string
	lines chan string // stdout after the address
}

// startFloor re-executes the test binary as the floor and waits for its
// address. The process is killed when the benchmark ends.
func startFloor(tb testing.TB) *floorProcess {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), loadChildEnv+"=floor",
		"PORTAL_LOAD_HOSTKEY="+filepath.Join(tb.TempDir(), "floor_ed25519"))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	fp := &floorProcess{cmd: cmd, lines: make(chan string, 16)}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		for sc.Scan() {
			select {
			case fp.lines <- sc.Text():
			default:
			}
		}
		close(first)
	}()
	select {
	case addr, ok := <-first:
		if !ok || addr == "" {
			tb.Fatal("floor exited before reporting its address")
		}
		fp.addr = addr
	case <-time.After(30 * time.Second):
		tb.Fatal("floor did not report its address")
	}
	return fp
}

// goroutines asks the floor how many goroutines it runs (-1 if it does not
// say within 5 s).
func (fp *floorProcess) goroutines() int {
	for len(fp.lines) > 0 {
		<-fp.lines
	}
	if err := fp.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return -1
	}
	select {
	case l := <-fp.lines:
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(l), "goroutines %d", &n); err == nil {
			return n
		}
	case <-time.After(5 * time.Second):
	}
	return -1
}
