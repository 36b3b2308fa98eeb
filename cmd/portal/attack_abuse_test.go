package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// abusePasteSize is one paste: a megabyte, as a terminal sends it
// (bracketed), which the server cuts to its paste limit.
const abusePasteSize = 1 << 20

// abusePaste pastes a megabyte of c into the focused field.
func (tm *terminal) abusePaste(c byte) {
	tm.t.Helper()
	buf := make([]byte, 32<<10)
	for i := range buf {
		buf[i] = c
	}
	tm.send("\x1b[200~")
	for n := abusePasteSize; n > 0; n -= len(buf) {
		if _, err := tm.in.Write(buf[:min(n, len(buf))]); err != nil {
			tm.t.Fatalf("paste: %v", err)
		}
	}
	tm.send("\x1b[201~")
}

// abuseWaitAny waits until one of texts appears after the mark and returns it.
func (tm *terminal) abuseWaitAny(texts ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		screen := tm.screenText()
		for _, s := range texts {
			if strings.Contains(screen, s) {
				tm.mark = tm.out.Len()
				return s
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.t.Fatalf("waited for one of %q; screen since mark:\n%.3000s", texts, tm.screenText())
	return ""
}

// abuseRun plays steps: "P" pastes a megabyte into the focused field, "~a|b"
// waits for a or b on the screen, anything else is typed as is.
func (tm *terminal) abuseRun(steps ...string) (pastes int) {
	tm.t.Helper()
	for _, s := range steps {
		switch {
		case s == "P":
			tm.abusePaste(byte('A' + pastes%26))
			pastes++
		case strings.HasPrefix(s, "~"):
			tm.abuseWaitAny(strings.Split(s[1:], "|")...)
		default:
			tm.send(s)
			time.Sleep(30 * time.Millisecond)
		}
	}
	return pastes
}

// abuseLongestRun is the longest run of one pasted letter in s.
func abuseLongestRun(s string) int {
	longest, run := 0, 0
	for i := range len(s) {
		if i > 0 && s[i] == s[i-1] && s[i] >= 'A' && s[i] <= 'Z' {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	return longest
}

// TestAbuseHugePastesEveryForm pastes a megabyte into every field of
// every client and console form over SSH. Each session goes on answering
// (the key after the pastes is acted on), each field keeps at most its
// limit, and what is stored is small.
func TestAbuseHugePastesEveryForm(t *testing.T) {
	if testing.Short() {
		t.Skip("dozens of megabyte pastes: skipped with -short")
	}
	ps := startPortal(t)
	ps.admin1(t, "signup", "on")
	ps.admin1(t, "types", "add", "Advice", "--field", "Subject: text, required",
		"--field", "Details: multiline", "--field", "By: date")
	ps.admin1(t, "clients", "add", "--email", "carol@example.com", "--name", "Carol")
	carolToken := inviteToken(t, ps.waitMail(t, "carol@example.com", subjInvitation, 0).Body)
	ann := ps.invitedClient(t, "ann@example.com", "Ann Smith")

	tooLong := "Too long"
	total := 0
	forms := []struct {
		name  string
		open  func() *terminal
		steps []string
	}{
		{"log in", func() *terminal { return ps.openTerminal(t, "guest") },
			[]string{"~Accept invitation", "l", "~Log in with the email", "P", "\t", "P", "\r", "~" + tooLong + "|Wrong email or password|not an email address"}},
		{"sign up", func() *terminal { return ps.openTerminal(t, "guest") },
			[]string{"~Sign up", "s", "~Tell us who you are", "P", "\t", "P", "\t", "P", "\t", "P", "\t", "P", "\t", "P", "\r", "~" + tooLong}},
		{"forgot", func() *terminal { return ps.openTerminal(t, "guest") },
			[]string{"~Forgot password", "f", "~Type the email of your account", "P", "\r", "~" + tooLong + "|email"}},
		{"reset", func() *terminal { return ps.openTerminal(t, "guest") },
			[]string{"~Forgot password", "f", "~Type the email of your account", "ann@example.com", "\r",
				"~Choose a new password", "P", "\t", "P", "\t", "P", "\r", "~" + tooLong + "|code"}},
		{"invitation", func() *terminal { return ps.openTerminal(t, "invite-"+carolToken) },
			[]string{"~Welcome, Carol", "P", "\t", "P", "\r", "~" + tooLong}},
		{"profile", func() *terminal { return ps.logIn(t, "ann@example.com", "Ann Smith") },
			[]string{"e", "~Edit profile", "P", "\t", "P", "\t", "P", "\r", "~" + tooLong}},
		{"new request", func() *terminal { return ps.logIn(t, "ann@example.com", "Ann Smith") },
			[]string{"n", "~Advice", "\r", "~Subject", "P", "\t", "P", "\t", "P",
				// The date field holds a pasted megabyte cut short: clear it
				// as a person would, with ctrl+u (one frame, where 300
				// backspaces were 300 frames of this heavy form).
				"\x15", "~YYYY-MM-DD", "\r", "~Check your request", "\r", "~Your request #1 was sent"}},
		{"note", func() *terminal { return ps.logIn(t, "ann@example.com", "Ann Smith") },
			[]string{"m", "~My requests", "\r", "~Details", "n", "~Note on request #1", "P", "\x13", "~Your note was sent"}},
		{"console add client", func() *terminal { return ps.openConsole(t, ps.admin, 80, 24) },
			[]string{"~Clients", "a", "~Add client", "P", "\t", "P", "\t", "P", "\t", "P", "\r", "~" + tooLong + "|pasted text is too long"}},
		{"console search", func() *terminal { return ps.openConsole(t, ps.admin, 80, 24) },
			[]string{"~Clients", "/", "~Search", "P", "x", "\r", "~Search:"}},
		{"console note", func() *terminal { return ps.openConsole(t, ps.admin, 80, 24) },
			[]string{"~Clients", "2", "~AAAA", "\r", "~Request #1", "n", "~Internal note", "P", "x", "\x13", "~Internal note added to request #1"}},
		{"console type editor", func() *terminal { return ps.openConsole(t, ps.admin, 80, 24) },
			[]string{"~Clients", "6", "~types", "t", "~Advice", "a", "~Name", "P", "\t", "P", "\t", "P", "\r", "~" + tooLong + "|pasted text is too long"}},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			start := time.Now()
			tm := f.open()
			tm.t = t
			n := tm.abuseRun(f.steps...)
			total += n
			if run := abuseLongestRun(tm.screenText()); run > 16<<10 {
				t.Errorf("a field shows %d pasted characters in a row", run)
			}
			t.Logf("%d pastes of %d bytes answered in %v", n, abusePasteSize, time.Since(start).Round(time.Millisecond))
		})
	}
	_ = ann

	// Nothing huge was stored: the request and its notes.
	shown := ps.admin1(t, "requests", "show", "1", "--json")
	if len(shown) > 64<<10 {
		t.Errorf("request #1 is %d bytes as JSON after megabyte pastes", len(shown))
	}
	if run := abuseLongestRun(shown); run == 0 || run > 10<<10 {
		t.Errorf("the longest pasted run stored is %d characters", run)
	}
	t.Logf("%d megabyte pastes in all; request #1 is %d bytes as JSON", total, len(shown))
}

// TestAbuseResizeStormPortal sends 10,000 window changes of random sizes,
// extremes included, to a real client session and to the console: both
// still draw correctly at 80x24 afterwards and the heap stays bounded.
func TestAbuseResizeStormPortal(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 1_000
	}
	ps := startPortal(t)
	ps.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")
	tests := []struct {
		name, ready string
		open        func() *terminal
	}{
		{"client welcome", "Accept invitation", func() *terminal { return ps.openTerminal(t, "guest") }},
		{"console", "Ann Smith", func() *terminal { return ps.openConsole(t, ps.admin, 80, 24) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := tt.open()
			tm.t = t
			tm.waitFor(tt.ready)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before, peak := ms.HeapAlloc, ms.HeapAlloc
			rng := rand.New(rand.NewPCG(5, 6))
			extremes := [][2]int{{0, 0}, {1, 1}, {65535, 65535}, {65535, 1}, {1, 65535}}
			start := time.Now()
			for i := range n {
				w := [2]int{rng.IntN(300), rng.IntN(120)}
				if i%10 == 0 {
					w = extremes[(i/10)%len(extremes)]
				}
				if err := tm.s.WindowChange(w[1], w[0]); err != nil {
					t.Fatalf("window change %d: %v", i, err)
				}
				if i%1000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}
			// Drawn again, whole, at 80x24 once the storm is over.
			time.Sleep(500 * time.Millisecond)
			tm.mark = tm.out.Len()
			if err := tm.s.WindowChange(24, 80); err != nil {
				t.Fatal(err)
			}
			tm.waitFor(tt.ready)
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			runtime.GC()
			runtime.ReadMemStats(&ms)
			t.Logf("%d resizes in %v; heap before %.1f MiB, peak seen %.1f MiB, after %.1f MiB",
				n, time.Since(start).Round(time.Millisecond), mib(before), mib(peak), mib(ms.HeapAlloc))
			if ms.HeapAlloc > before+64<<20 {
				t.Errorf("heap %.1f MiB after the storm, %.1f MiB before", mib(ms.HeapAlloc), mib(before))
			}
		})
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// TestAbuseKeyStormPortal sends 20,000 random keys and escape sequences
// as fast as possible to a client session: it survives and answers, and
// another client's session is unaffected. (20,000 keys, about 45 KB, fit
// the session's 64 KiB input buffer and are taken at its pace; more at
// once end the session, which internal/server's TestAbuseKeyStorm checks.)
func TestAbuseKeyStormPortal(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 10_000
	}
	ps := startPortal(t)
	ann := ps.invitedClient(t, "ann@example.com", "Ann Smith")
	storm := ps.openTerminal(t, "guest")
	storm.waitFor("Accept invitation")
	// What the first storm hit: alt+d with the cursor on a field's last
	// character made bubbles index past the end and killed the session.
	storm.send("l")
	storm.waitFor("Log in with the email")
	storm.send("abcdefg")
	time.Sleep(30 * time.Millisecond)
	storm.send("\x1b[D")
	time.Sleep(30 * time.Millisecond)
	storm.send("\x1bd")
	time.Sleep(30 * time.Millisecond)
	storm.send("Z")
	storm.waitFor("abcdefZ")

	rng := rand.New(rand.NewPCG(7, 8))
	seqs := []string{"\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[1;5C", "\x1b", "\x1b[", "\x1b[200~", "\x1b[201~",
		"\x1b[<0;10;10M", "\x1b[M !!", "\x1bOP", "\x1b]11;rgb:0/0/0\x07", "\t", "\r", "\x7f", "\x00", "é", "\xff", "\u202e"}
	var b strings.Builder
	for range n {
		switch rng.IntN(3) {
		case 0:
			b.WriteByte(byte(' ' + rng.IntN(95)))
		case 1:
			c := byte(rng.IntN(32))
			if c == 0x03 { // ctrl+c quits, ending the storm early
				c = 0x01
			}
			b.WriteByte(c)
		default:
			b.WriteString(seqs[rng.IntN(len(seqs))])
		}
	}
	b.WriteString("\x1b[201~") // close any paste the storm left open
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(storm.in, b.String())
		done <- err
	}()
	// Meanwhile another client is served as usual.
	ann.send("e")
	ann.waitFor("Edit profile")
	ann.send("\x1b")
	ann.waitFor("Hello, Ann Smith")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("storm: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the server stopped taking the storm's keys")
	}
	// Wherever the storm left it, the session still answers: ctrl+c quits.
	storm.send("\x03")
	if got := storm.ended(); got != 0 {
		t.Errorf("storm session exit status %d, want 0", got)
	}
	t.Logf("%d keys (%d bytes) taken and the session quit in %v", n, b.Len(), time.Since(start).Round(time.Millisecond))
	fresh := ps.openTerminal(t, "guest")
	fresh.waitFor("Accept invitation")
}

// TestAbuseSessionsPerAddressPortal opens one session more than
// --max-sessions-per-address allows from 127.0.0.1: that one gets a clear
// line and status 1, the others go on working, and the slot frees when
// one ends. A staff command counts too.
func TestAbuseSessionsPerAddressPortal(t *testing.T) {
	const limit = 3
	ps := startPortal(t, "--max-sessions-per-address", fmt.Sprint(limit))
	var open []*terminal
	for range limit {
		tm := ps.openTerminal(t, "guest")
		tm.waitFor("Accept invitation")
		open = append(open, tm)
	}
	over := ps.openTerminal(t, "guest")
	over.waitFor("Too many sessions from your address: close one and try again.")
	if got := over.ended(); got != 1 {
		t.Errorf("refused session exit status %d, want 1", got)
	}
	if _, errOut, code := ps.staff(t, ps.admin, "", "signup", "status"); code != 1 || !strings.Contains(errOut, "Too many sessions") {
		t.Errorf("staff command beyond the limit: exit %d, %q", code, errOut)
	}
	for _, tm := range open {
		tm.send("l")
		tm.waitFor("Log in with the email")
	}
	open[0].send("\x03")
	open[0].ended()
	deadline := time.Now().Add(10 * time.Second)
	for {
		again := ps.openTerminal(t, "guest")
		if again.abuseWaitAny("Accept invitation", "Too many sessions") == "Accept invitation" {
			break
		}
		again.ended()
		if time.Now().After(deadline) {
			t.Fatal("the slot never freed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAbuseResendFloodPortal: the audit's stall. 20 KB of ctrl+r on the
// sign-up code screen once started a call (and a write) per key, and every
// other log in waited 14-16 s behind them. Now ctrl+r makes one call at a
// time and drops repeats: another client's log in meanwhile answers as
// usual, the flood mails no more than the one code a minute allows, and
// the flooded screen still answers.
func TestAbuseResendFloodPortal(t *testing.T) {
	ps := startPortal(t)
	ps.invitedClient(t, "ann@example.com", "Ann Smith")
	ps.admin1(t, "signup", "on")
	flood := ps.openTerminal(t, "bob")
	flood.waitFor("Sign up")
	flood.send("s")
	flood.waitFor("Tell us who you are")
	flood.fill("Bob Brown", "bob@example.com", "", "", secondPassword, secondPassword)
	flood.waitFor("We sent a code to bob@example.com")
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(flood.in, strings.Repeat("\x12", 20_000))
		done <- err
	}()
	start := time.Now()
	ps.logIn(t, "ann@example.com", "Ann Smith")
	took := time.Since(start)
	if err := <-done; err != nil {
		t.Fatalf("flood: %v", err)
	}
	// Well above a log in's time on a loaded machine, well below the
	// 14 s the flood used to cost.
	if took > 5*time.Second {
		t.Fatalf("a log in beside a flood of ctrl+r took %v", took)
	}
	// The code typed now queues behind the flood's keys, which the
	// session takes at its input pace and draws one by one (slow under
	// the race detector, 44 s on a quiet 2-core machine and over two
	// minutes on a loaded one): wait for all of them, not for a usual
	// screen.
	flood.fill(mailCode(t, ps.waitMail(t, "bob@example.com", subjVerify, 0).Body))
	if !flood.appears("Hello, Bob Brown", 5*time.Minute) {
		t.Fatalf("the flooded session never took the code:\n%s", flood.screenText())
	}
	codes := 0
	for _, m := range ps.mails(t) {
		if strings.EqualFold(m.To, "bob@example.com") && strings.Contains(m.Subject, subjVerify) {
			codes++
		}
	}
	if codes != 1 {
		t.Fatalf("%d code mails after a flood of ctrl+r within the minute; want 1", codes)
	}
	t.Logf("a log in beside 20,000 ctrl+r took %v; %d code mail", took.Round(time.Millisecond), codes)
}
