package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// buildPortal compiles the real binary once per test.
func buildPortal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portal")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary starts `portal serve` as its own process and returns it with the
// address it listens on, read from its log.
func runBinary(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrRe := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return cmd, addr
	case <-time.After(30 * time.Second):
		t.Fatal("portal did not report its address")
	}
	return nil, ""
}

// runDB are the flags that give a server under root its data and the run's
// database: the SQLite file in root/data, or a fresh PostgreSQL database
// (with root/data for the mail).
func runDB(t *testing.T, root string) []string {
	t.Helper()
	args := []string{"--data", filepath.Join(root, "data")}
	if dbtest.Backend() == dbtest.Postgres {
		args = append(args, "--db", dbtest.DSN(t))
	}
	return args
}

// TestKill9LosesNothingConfirmed adds clients through the staff command,
// kills the server with SIGKILL right after the last confirmation, and
// checks after a restart that every confirmed client is there and every
// invitation goes out exactly once.
func TestKill9LosesNothingConfirmed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and restarts it")
	}
	bin := buildPortal(t)
	root := t.TempDir()
	signer, _ := newSigner(t, root, "admin")
	adminLine := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	db := runDB(t, root)
	common := append([]string{"--host-keys", filepath.Join(root, "keys"), "--initial-admin-key", adminLine}, db...)

	cmd, addr := runBinary(t, bin, common...)
	ps := &portalServer{addr: addr, dataDir: filepath.Join(root, "data")}
	const n = 25
	for i := 0; i < n; i++ {
		_, errOut, code := ps.staff(t, signer, "", "clients", "add", "--email", fmt.Sprintf("c%02d@example.com", i), "--name", fmt.Sprintf("Client %d", i))
		if code != 0 {
			t.Fatalf("add %d: exit %d: %s", i, code, errOut)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, addr = runBinary(t, bin, common...)
	ps.addr = addr
	out, errOut, code := ps.staff(t, signer, "", "clients", "list", "--json")
	if code != 0 {
		t.Fatalf("list after restart: %s", errOut)
	}
	var clients []struct{ Email, Status string }
	if err := json.Unmarshal([]byte(out), &clients); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(clients) != n {
		t.Fatalf("after kill -9: %d clients, want %d", len(clients), n)
	}
	// On PostgreSQL, the mail the killed server had leased waits until
	// the new one sees it gone (10 s without a heartbeat).
	deadline := time.Now().Add(40 * time.Second)
	for {
		perAddr := map[string]int{}
		for _, m := range ps.mails(t) {
			perAddr[m.To]++
		}
		if len(perAddr) == n {
			for a, k := range perAddr {
				if k != 1 {
					t.Fatalf("%s got %d invitations", a, k)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart %d of %d invitations were delivered", len(perAddr), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The database opens cleanly for the offline commands too.
	check := exec.CommandContext(context.Background(), bin, append([]string{"staff", "list"}, db...)...)
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "admin") {
		t.Fatalf("staff list after crash: %v\n%s", err, out)
	}
}

// TestKill9KeepsConfirmedRequestWork kills the server right after a client
// saw their request confirmed, and again right after staff notes were
// confirmed: after each restart the request and every note are there, and
// the legal team's notice of the request goes out.
func TestKill9KeepsConfirmedRequestWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and restarts it")
	}
	bin := buildPortal(t)
	root := t.TempDir()
	signer, _ := newSigner(t, root, "admin")
	adminLine := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	common := append([]string{"--host-keys", filepath.Join(root, "keys"),
		"--initial-admin-key", adminLine, "--team-email", "legal@example.com"}, runDB(t, root)...)
	run := func(ps *portalServer, args ...string) string {
		t.Helper()
		out, errOut, code := ps.staff(t, signer, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	cmd, addr := runBinary(t, bin, common...)
	ps := &portalServer{addr: addr, dataDir: filepath.Join(root, "data")}
	run(ps, "types", "add", "Advice", "--field", "Question: text, required")
	run(ps, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")
	ann := ps.acceptInvitation(t, inviteToken(t, ps.waitMail(t, "ann@example.com", subjInvitation, 0).Body), "Ann Smith")
	ann.send("n")
	ann.waitFor("Advice")
	ann.send("\r")
	ann.waitFor("New request: Advice")
	ann.fill("May I sublet the shop?")
	ann.waitFor("Check your request")
	ann.send("\r")
	ann.waitFor("Your request #1 was sent")
	kill(cmd)

	cmd, ps.addr = runBinary(t, bin, common...)
	if shown := run(ps, "requests", "show", "1"); !strings.Contains(shown, "May I sublet the shop?") {
		t.Fatalf("after kill -9 the confirmed request is gone:\n%s", shown)
	}
	ps.waitMail(t, "legal@example.com", "Request #1 (Advice) from Ann Smith", 0)

	const notes = 5
	for i := 0; i < notes; i++ {
		run(ps, "requests", "note", "--visible", "1", fmt.Sprintf("Note number %d", i))
	}
	kill(cmd)

	_, ps.addr = runBinary(t, bin, common...)
	shown := run(ps, "requests", "show", "1")
	for i := 0; i < notes; i++ {
		if !strings.Contains(shown, fmt.Sprintf("Note number %d", i)) {
			t.Fatalf("after kill -9 confirmed note %d is gone:\n%s", i, shown)
		}
	}
	// The notices of the notes survived: the first went out at once, the
	// others wait their minute in one more, which the kill did not lose.
	var outbox []struct{ Kind, To, State string }
	if out := run(ps, "outbox", "list", "--json"); json.Unmarshal([]byte(out), &outbox) != nil {
		t.Fatalf("outbox list --json:\n%s", out)
	}
	states := map[string]int{}
	for _, m := range outbox {
		if m.Kind == "request_update" && m.To == "ann@example.com" {
			states[m.State]++
		}
	}
	if states["sent"]+states["queued"] == 0 || states["sent"] > 1 || states["queued"] > 1 || states["failed"] > 0 {
		t.Fatalf("notices of the notes to the client by state: %v (outbox %+v)", states, outbox)
	}
}
