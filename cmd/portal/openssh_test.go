package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxScreen runs a command in a detached 80x24 tmux session on a private
// server socket, as a person at a terminal would.
type tmuxScreen struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, name, command string) *tmuxScreen {
	t.Helper()
	requireTool(t, "tmux")
	ts := &tmuxScreen{t: t, socket: fmt.Sprintf("portal-test-%d", os.Getpid()), name: name}
	cmd := exec.Command("tmux", "-L", ts.socket, "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", ts.socket, "kill-server").Run() })
	return ts
}

func (ts *tmuxScreen) capture() string {
	out, err := exec.Command("tmux", "-L", ts.socket, "capture-pane", "-p", "-t", ts.name).CombinedOutput()
	if err != nil {
		return "capture-pane: " + err.Error() + ": " + string(out)
	}
	return string(out)
}

func (ts *tmuxScreen) waitFor(text string) {
	ts.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(ts.capture(), text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.t.Fatalf("waited for %q on the screen:\n%s", text, ts.capture())
}

// typeLine types text literally, then presses Enter.
func (ts *tmuxScreen) typeLine(text string) {
	ts.t.Helper()
	if text != "" {
		if out, err := exec.Command("tmux", "-L", ts.socket, "send-keys", "-t", ts.name, "-l", text).CombinedOutput(); err != nil {
			ts.t.Fatalf("send-keys: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.key("Enter")
}

func (ts *tmuxScreen) key(name string) {
	ts.t.Helper()
	if out, err := exec.Command("tmux", "-L", ts.socket, "send-keys", "-t", ts.name, name).CombinedOutput(); err != nil {
		ts.t.Fatalf("send-keys %s: %v\n%s", name, err, out)
	}
	time.Sleep(50 * time.Millisecond)
}

// opensshArgs are the options that make OpenSSH's ssh talk to a test server
// without touching the user's configuration or known hosts.
func opensshArgs(port string) []string {
	return []string{"-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-p", port}
}

// TestOpenSSHInvitationToLogIn drives OpenSSH's ssh: the admin adds a client
// with a one-shot command, the client runs the command from the invitation
// mail under tmux, sets a password, then logs in from the welcome screen.
func TestOpenSSHInvitationToLogIn(t *testing.T) {
	ssh := requireTool(t, "ssh")
	requireTool(t, "tmux")
	ps := startPortal(t)

	add := exec.Command(ssh, append(opensshArgs(ps.port()), "-i", ps.adminKey, "-o", "IdentitiesOnly=yes",
		"portal-admin@127.0.0.1", "clients", "add", "--email", "dana@example.com", "--name", "'Dana Scully'")...)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh clients add: %v\n%s", err, out)
	}
	mail := ps.waitMail(t, "dana@example.com", subjInvitation, 0)
	token := inviteToken(t, mail.Body)

	clientSSH := ssh + " " + strings.Join(opensshArgs(ps.port()), " ") +
		" -o PubkeyAuthentication=no -o PreferredAuthentications=keyboard-interactive -t"
	invite := newTmux(t, "invite", clientSSH+" invite-"+token+"@127.0.0.1; sleep 30")
	invite.waitFor("Welcome, Dana Scully")
	invite.typeLine(firstPassword)
	invite.typeLine(firstPassword)
	invite.waitFor("Hello, Dana Scully")

	login := newTmux(t, "login", clientSSH+" dana@127.0.0.1; sleep 30")
	login.waitFor("Accept invitation")
	login.key("l")
	login.waitFor("Log in with the email")
	login.typeLine("dana@example.com")
	login.typeLine(firstPassword)
	login.waitFor("Hello, Dana Scully")
	// The screen fits the 80x24 terminal: no line is wider.
	for _, line := range strings.Split(login.capture(), "\n") {
		if len([]rune(line)) > 80 {
			t.Fatalf("line wider than 80 columns: %q", line)
		}
	}
}

// TestOpenSSHFrenchRequest drives OpenSSH's ssh with LANG=fr_FR.UTF-8 sent
// (SendEnv, as Debian's ssh_config does): the invitation opens in French,
// and the client submits a request through the form at 80x24.
func TestOpenSSHFrenchRequest(t *testing.T) {
	ssh := requireTool(t, "ssh")
	requireTool(t, "tmux")
	ps := startPortal(t)
	ps.admin1(t, "types", "add", "Document request", "--field", "Documents: multiline, required", "--field", "Urgency: choice(Low | High)")
	ps.admin1(t, "clients", "add", "--email", "luc@example.com", "--name", "Luc Girard", "--lang", "fr")
	token := inviteToken(t, ps.waitMail(t, "luc@example.com", "Votre invitation", 0).Body)

	clientSSH := "LANG=fr_FR.UTF-8 " + ssh + " " + strings.Join(opensshArgs(ps.port()), " ") +
		" -o SendEnv=LANG -o PubkeyAuthentication=no -o PreferredAuthentications=keyboard-interactive -t"
	luc := newTmux(t, "luc", clientSSH+" invite-"+token+"@127.0.0.1; sleep 30")
	luc.waitFor("Bienvenue, Luc Girard")
	luc.typeLine(firstPassword)
	luc.typeLine(firstPassword)
	luc.waitFor("Bonjour, Luc Girard")
	luc.key("n")
	luc.waitFor("Document request")
	luc.key("Enter")
	luc.waitFor("Nouvelle demande : Document request")
	luc.typeLine("Acte de naissance") // Enter is a new line in a multi-line field
	if out, err := exec.Command("tmux", "-L", luc.socket, "send-keys", "-t", luc.name, "-l", "Passeport").CombinedOutput(); err != nil {
		t.Fatalf("send-keys: %v\n%s", err, out)
	}
	luc.key("Tab")
	luc.key("Right") // nothing chosen yet: the first choice
	luc.key("Right")
	luc.waitFor("(•) High")
	luc.key("Enter")
	luc.waitFor("Vérifiez votre demande")
	luc.key("Enter")
	luc.waitFor("Votre demande n° 1 a été envoyée")
	for _, line := range strings.Split(luc.capture(), "\n") {
		if len([]rune(line)) > 80 {
			t.Fatalf("line wider than 80 columns: %q", line)
		}
	}
	shown := ps.admin1(t, "requests", "show", "1")
	if !strings.Contains(shown, "Acte de naissance") || !strings.Contains(shown, "Passeport") || !strings.Contains(shown, "High") {
		t.Fatalf("requests show 1:\n%s", shown)
	}
}
