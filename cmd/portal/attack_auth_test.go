package main

// Authentication attacks on the real server, over SSH, as an outsider
// would make them (issue 6, item 1). What needs an injected clock (the
// lengths of the lockouts, invitation expiry) is in
// internal/portal/attack_auth_test.go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/auth"
)

// authAtkSource is a loopback address other than 127.0.0.1 to connect from:
// the per-address limits count hosts, so a test that needs a fresh address
// (or many) takes one of these. Linux routes the whole of 127.0.0.0/8 to
// the loopback interface.
func authAtkSource(n int) string { return fmt.Sprintf("127.0.%d.%d", 1+n/200, 2+n%200) }

// authAtkDial connects from source address src as user.
func authAtkDial(t testing.TB, ps *portalServer, src, user string, methods ...gossh.AuthMethod) (*gossh.Client, error) {
	t.Helper()
	if len(methods) == 0 {
		methods = []gossh.AuthMethod{noQuestions()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	conn, err := d.DialContext(ctx, "tcp", ps.addr)
	if err != nil {
		if os.Getenv("CI") != "true" && strings.Contains(err.Error(), "assign requested address") {
			t.Skipf("cannot connect from %s (this system does not route 127.0.0.0/8 to loopback): %v", src, err)
		}
		return nil, fmt.Errorf("connect from %s: %w", src, err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	c, chans, reqs, err := gossh.NewClientConn(conn, ps.addr, &gossh.ClientConfig{
		User:            user,
		Auth:            methods,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return gossh.NewClient(c, chans, reqs), nil
}

// authAtkTerm is a client terminal opened from a chosen source address,
// that also tells each time output arrives, so an answer can be timed to
// the write that brought it.
type authAtkTerm struct {
	*terminal
	wrote chan struct{}
}

// authAtkSignal wakes a waiter on every write, without ever blocking it.
type authAtkSignal chan struct{}

func (s authAtkSignal) Write(p []byte) (int, error) {
	select {
	case s <- struct{}{}:
	default:
	}
	return len(p), nil
}

func authAtkOpen(t testing.TB, ps *portalServer, src, user string) *authAtkTerm {
	t.Helper()
	c, err := authAtkDial(t, ps, src, user)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", user, src, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	at := &authAtkTerm{
		terminal: &terminal{t: t, c: c, s: s, out: &syncBuffer{}, done: make(chan error, 1)},
		wrote:    make(chan struct{}, 1),
	}
	w := io.MultiWriter(at.out, authAtkSignal(at.wrote))
	s.Stdout, s.Stderr = w, w
	if at.in, err = s.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { at.done <- s.Wait() }()
	return at
}

// close ends the connection, as a client's ssh does on exit.
func (at *authAtkTerm) close() { _ = at.c.Close() }

// timeTo sends keys and returns how long until the first output after them
// that holds any of answers, and which one; the mark moves past it.
func (at *authAtkTerm) timeTo(keys string, answers ...string) (time.Duration, string) {
	at.t.Helper()
	at.mark = at.out.Len()
	for len(at.wrote) > 0 {
		<-at.wrote
	}
	start := time.Now()
	at.send(keys)
	deadline := time.After(15 * time.Second)
	for {
		screen := at.screenText()
		for _, a := range answers {
			if strings.Contains(screen, a) {
				took := time.Since(start)
				at.mark = at.out.Len()
				return took, a
			}
		}
		select {
		case <-at.wrote:
		case <-deadline:
			at.t.Fatalf("no answer among %q; screen since mark:\n%s", answers, screen)
		}
	}
}

// quickFill types each value and Enter with a short pause, enough for each
// to be read as typing, not a paste.
func (at *authAtkTerm) quickFill(values ...string) {
	at.t.Helper()
	for _, v := range values {
		at.send(v)
		time.Sleep(5 * time.Millisecond)
		at.send("\r")
		time.Sleep(5 * time.Millisecond)
	}
}

// settledScreen is the whole screen as it stands, without styles: a window
// change makes the program draw all of it again, and the screen is read
// once nothing has come for a while.
func (at *authAtkTerm) settledScreen() string {
	at.t.Helper()
	at.quiet(100 * time.Millisecond)
	at.mark = at.out.Len()
	if err := at.s.WindowChange(25, 80); err != nil {
		at.t.Fatalf("window change: %v", err)
	}
	at.quiet(200 * time.Millisecond)
	return at.screenText()
}

// quiet waits until no output came for d.
func (at *authAtkTerm) quiet(d time.Duration) {
	at.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-at.wrote:
		case <-time.After(d):
			return
		}
	}
	at.t.Fatal("the screen never settled")
}

// authAtkAudit is the audit log events with action, through the staff
// command.
func authAtkAudit(t testing.TB, ps *portalServer, action string) []authAtkEvent {
	t.Helper()
	out := ps.admin1(t, "audit", "list", "--json", "--action", action, "--limit", "10000")
	var events []authAtkEvent
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("audit list --json: %v\n%s", err, out)
	}
	return events
}

type authAtkEvent struct {
	Action     string `json:"action"`
	Subject    string `json:"subject"`
	Detail     string `json:"detail"`
	RemoteAddr string `json:"remote_addr"`
}

// authAtkMedian returns the median and the interquartile range of d.
func authAtkMedian(d []time.Duration) (median, iqr time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1)+0.5)] }
	return q(0.5), q(0.75) - q(0.25)
}

// authAtkFlow is one welcome-screen form an enumerator can try an email on.
type authAtkFlow struct {
	name   string
	key    string // the welcome screen's key for it
	item   string // its item there, to know the key works (Sign up shows once the setting is read)
	intro  string // text of the form, to know it is open
	fields func(email string) []string
	answer string // what the screen says once the portal answered
}

func authAtkFlows() []authAtkFlow {
	return []authAtkFlow{
		{"log in", "l", "Accept invitation", "Log in with the email", func(email string) []string { return []string{email, authAtkGuess} },
			authAtkWrong},
		{"forgot password", "f", "Accept invitation", "Type the email of your account", func(email string) []string { return []string{email} },
			"we sent a code to it"},
		{"sign up", "s", "Sign up", "Tell us who you are", func(email string) []string {
			return []string{"Sam Spade", email, "", "", secondPassword, secondPassword}
		}, "We sent a code to"},
	}
}

// authAtkTry opens flow on a new connection from src, types email into it,
// and returns the time from the last Enter to the answer on screen, and the
// connection's terminal, at the answer.
func authAtkTry(t testing.TB, ps *portalServer, src string, f authAtkFlow, email string) (time.Duration, *authAtkTerm) {
	t.Helper()
	at := authAtkOpen(t, ps, src, "guest")
	at.waitFor(f.item)
	at.send(f.key)
	at.waitFor(f.intro)
	values := f.fields(email)
	at.quickFill(values[:len(values)-1]...)
	at.send(values[len(values)-1])
	time.Sleep(5 * time.Millisecond)
	took, got := at.timeTo("\r", f.answer, authAtkLimited)
	if got != f.answer {
		t.Fatalf("%s with %s from %s: refused as too many attempts", f.name, email, src)
	}
	return took, at
}

// authAtkMask is a run of the characters a password field shows.
var authAtkMask = regexp.MustCompile(`[•*]+`)

// authAtkNormal is a screen without what may rightly differ between two
// tries made alike: the emails typed (same length, so lines wrap alike),
// the length of a password, and spacing. A line seen already is left
// out: the screen is rebuilt from the stream, where a redraw under load
// may repeat lines the terminal would have drawn over.
func authAtkNormal(screen string, typed ...string) string {
	for _, s := range typed {
		screen = strings.ReplaceAll(screen, s, "TYPED")
	}
	screen = authAtkMask.ReplaceAllString(screen, "•")
	var lines []string
	seen := map[string]bool{}
	for _, l := range strings.Split(screen, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" && !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// authAtkLogIn tries email and password on the log in form of a new
// connection from src, and returns what the portal answered, how long it
// took from Enter, and, when asked for (it takes a while), the whole
// screen then, normalized.
func authAtkLogIn(t testing.TB, ps *portalServer, src, email, password string, withScreen bool) (answer string, took time.Duration, screen string) {
	t.Helper()
	at := authAtkOpen(t, ps, src, "guest")
	defer at.close()
	at.waitFor("Accept invitation")
	at.send("l")
	at.waitFor("Log in with the email")
	at.quickFill(email)
	at.send(password)
	time.Sleep(5 * time.Millisecond)
	took, answer = at.timeTo("\r", authAtkWrong, authAtkLimited, "Hello, ")
	if withScreen {
		screen = authAtkNormal(at.settledScreen(), email)
	}
	return answer, took, screen
}

// authAtkAccount makes an active client with firstPassword, through the
// invitation, and leaves.
func authAtkAccount(t testing.TB, ps *portalServer, email, name string) {
	t.Helper()
	_ = ps.invitedClient(t, email, name).c.Close()
}

const (
	authAtkGuess   = "not the right password at all"
	authAtkWrong   = "Wrong email or password."
	authAtkLimited = "Too many attempts from your address. Wait 10 minutes"
	subjLocked     = "Your account was locked after failed log ins"
)

// TestAuthAttackBruteForceOneAccount: seven wrong passwords in a row on
// one account, then the right one before the wait is over, from the same
// address and from another. The backoff holds: every answer is the same
// screen as the first wrong password's, the right password does not log
// in, and only the owner learns of the lock, by mail. (The lengths of the
// waits, and that the right password works after, need a clock: see
// TestAuthAttackLockoutDoubles in internal/portal.)
func TestAuthAttackBruteForceOneAccount(t *testing.T) {
	ps := startPortal(t)
	authAtkAccount(t, ps, "ann@example.com", "Ann Smith")
	attacker, other := authAtkSource(0), authAtkSource(1)
	var first string
	for i := 1; i <= 7; i++ {
		// Guesses of one length, so the masked field reads the same.
		answer, _, screen := authAtkLogIn(t, ps, attacker, "ann@example.com", fmt.Sprintf("wrong guess number %02d", i), true)
		if answer != authAtkWrong {
			t.Fatalf("wrong password %d answered %q", i, answer)
		}
		if i == 1 {
			first = screen
		} else if screen != first {
			t.Fatalf("wrong password %d reads differently from the first:\n%s\n--- first:\n%s", i, screen, first)
		}
	}
	for _, src := range []string{attacker, other} {
		answer, _, screen := authAtkLogIn(t, ps, src, "ann@example.com", firstPassword, true)
		if answer != authAtkWrong || screen != first {
			t.Fatalf("the right password during the wait, from %s, answered %q:\n%s", src, answer, screen)
		}
	}
	ps.waitMail(t, "ann@example.com", subjLocked, 0)
	locks := 0
	for _, m := range ps.mails(t) {
		if m.Subject == subjLocked {
			locks++
		}
	}
	failures := authAtkAudit(t, ps, "login.failure")
	unchecked := 0
	for _, e := range failures {
		if e.Detail == "account locked" {
			unchecked++
		}
	}
	// Five counted failures lock the account; the two wrong and two
	// right passwords after are refused without being checked, and
	// neither lengthen the wait nor mail again.
	if locks != 1 || len(failures) != 9 || unchecked != 4 || len(authAtkAudit(t, ps, "login.lockout")) != 1 {
		t.Fatalf("%d lock mails, %d failures audited of which %d while locked; want 1, 9, 4", locks, len(failures), unchecked)
	}
	t.Logf("brute force: 7 wrong + 2 right passwords tried, all refused alike; 1 lock, 1 mail to the owner")
}

// TestAuthAttackPasswordSpraying: one address tries one password on many
// accounts. The first 30 in ten minutes are checked; from the 31st on the
// address is refused without a password check, even on an account never
// tried and with that account's right password, while the account's owner,
// from elsewhere, gets in.
func TestAuthAttackPasswordSpraying(t *testing.T) {
	ps := startPortal(t)
	authAtkAccount(t, ps, "ann@example.com", "Ann Smith")
	authAtkAccount(t, ps, "zoe@example.com", "Zoe Young")
	sprayer := authAtkSource(0)
	const spray = "spring rain on the window 2026"
	var checked, refused []time.Duration
	for i := range 30 {
		email := fmt.Sprintf("user%02d@example.com", i)
		if i == 0 {
			email = "ann@example.com"
		}
		answer, took, _ := authAtkLogIn(t, ps, sprayer, email, spray, false)
		if answer != authAtkWrong {
			t.Fatalf("attempt %d (%s) answered %q", i+1, email, answer)
		}
		checked = append(checked, took)
	}
	beyond := []struct{ email, password string }{
		{"zoe@example.com", firstPassword}, // never tried, right password
		{"ann@example.com", firstPassword},
		{"user99@example.com", spray},
		{"zoe@example.com", spray},
		{"zoe@example.com", firstPassword},
	}
	for i, b := range beyond {
		answer, took, _ := authAtkLogIn(t, ps, sprayer, b.email, b.password, false)
		if answer != authAtkLimited {
			t.Fatalf("attempt %d (%s) past the limit answered %q", 31+i, b.email, answer)
		}
		refused = append(refused, took)
	}
	failures := authAtkAudit(t, ps, "login.failure")
	for _, e := range failures {
		if e.Subject == "zoe@example.com" {
			t.Fatalf("a refused attempt on zoe was checked: %+v", e)
		}
	}
	if len(failures) != 30 || len(authAtkAudit(t, ps, "login.rate_limited")) != 1 || len(authAtkAudit(t, ps, "login.success")) != 0 {
		t.Fatalf("%d failures audited, want 30 (the attempts past the limit are not checked)", len(failures))
	}
	if answer, _, _ := authAtkLogIn(t, ps, authAtkSource(1), "zoe@example.com", firstPassword, false); answer != "Hello, " {
		t.Fatalf("zoe from her own address: %q", answer)
	}
	cm, _ := authAtkMedian(checked)
	rm, _ := authAtkMedian(refused)
	t.Logf("spraying: 30 checked (median answer %v), 5 refused past the limit (median %v), none of them checked",
		cm.Round(100*time.Microsecond), rm.Round(100*time.Microsecond))
}

// authAtkOutbox counts the mail queued to each address, through the staff
// command: what an attacker owning an address would find in it.
func authAtkOutbox(t testing.TB, ps *portalServer) map[string][]string {
	t.Helper()
	out := ps.admin1(t, "outbox", "list", "--json")
	var rows []struct {
		To      string `json:"to"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("outbox list --json: %v\n%s", err, out)
	}
	by := map[string][]string{}
	for _, r := range rows {
		by[strings.ToLower(r.To)] = append(by[strings.ToLower(r.To)], r.Subject)
	}
	return by
}

// TestAuthAttackEnumerationScreens: log in, forgot password and sign up
// with an email that has an account and one that has none. The screens
// after the attempt are the same once the typed email is taken out, and so
// is what each address receives: nothing on log in; on forgot password a
// code to the account and nothing to the stranger, as the screen says ("if
// an account exists"); on sign up one mail to each, a code to the new
// address and a notice to the account, so no account is revealed to
// whoever owns the typed address either. Timing: TestAuthAttackEnumerationTiming.
func TestAuthAttackEnumerationScreens(t *testing.T) {
	ps := startPortal(t)
	authAtkAccount(t, ps, "ann@example.com", "Ann Smith")
	ps.admin1(t, "signup", "on")
	// Of one length, so that the screens wrap alike.
	const known, unknown = "ann@example.com", "zed@example.com"
	for n, f := range authAtkFlows() {
		before := authAtkOutbox(t, ps)
		screens := map[string]string{}
		for _, email := range []string{known, unknown} {
			_, at := authAtkTry(t, ps, authAtkSource(n), f, email)
			screens[email] = authAtkNormal(at.settledScreen(), email)
			at.close()
		}
		if screens[known] != screens[unknown] {
			t.Errorf("%s: an account shows through the screen:\nknown:\n%s\n--- unknown:\n%s", f.name, screens[known], screens[unknown])
		}
		after := authAtkOutbox(t, ps)
		got := map[string]int{}
		for _, email := range []string{known, unknown} {
			got[email] = len(after[email]) - len(before[email])
		}
		want := map[string]map[string]int{
			"log in":          {known: 0, unknown: 0},
			"forgot password": {known: 1, unknown: 0},
			"sign up":         {known: 1, unknown: 1},
		}[f.name]
		if got[known] != want[known] || got[unknown] != want[unknown] {
			t.Errorf("%s: mails queued %v, want %v (to the known address: %q)", f.name, got, want, after[known])
		}
	}
}

// TestAuthAttackEnumerationTiming: an attacker times the answers to tell
// known emails from unknown ones. Fifty tries of each, interleaved (the
// order swapped every other pair), on each of the three forms that take an
// email, timed from Enter to the answer on screen; the medians must be
// within 10% of each other. Each email is tried once, as by an attacker
// working down a list, so every known try takes the path of a real account
// (a code mailed, a failure counted), not the shortcuts of a repeat. A
// round past 10% is measured again with new emails, up to three rounds,
// and the test fails only if every round is past 10% the same way: a real
// leak is, while a burst of load on a shared machine rarely lasts that
// long.
func TestAuthAttackEnumerationTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("times 300 log in, forgot password and sign up tries: skipped with -short")
	}
	ps := startPortal(t)
	ps.admin1(t, "signup", "on")
	const tries, rounds = 50, 3
	var csv strings.Builder
	for i := range tries * rounds {
		fmt.Fprintf(&csv, "known%d@example.com,Known %d,,\n", i, i)
	}
	if out, errOut, code := ps.staff(t, ps.admin, csv.String(), "clients", "import"); code != 0 {
		t.Fatalf("clients import: exit %d: %s %s", code, out, errOut)
	}
	// Known emails: the imported (invited) clients for forgot password and
	// sign up; for log in, the accounts the sign-up tries made, which have
	// a password, so that a wrong one is checked and counted (at most
	// once a round, three times at most: below the lockout).
	emails := map[string][2]func(round, i int) string{
		"sign up": {
			func(r, i int) string { return fmt.Sprintf("known%d@example.com", r*tries+i) },
			func(r, i int) string { return fmt.Sprintf("fresh%d@example.com", r*tries+i) },
		},
		"forgot password": {
			func(r, i int) string { return fmt.Sprintf("known%d@example.com", r*tries+i) },
			func(r, i int) string { return fmt.Sprintf("noone%d@example.com", r*tries+i) },
		},
		"log in": {
			func(_, i int) string { return fmt.Sprintf("fresh%d@example.com", i) },
			func(r, i int) string { return fmt.Sprintf("nobody%d@example.com", r*tries+i) },
		},
	}
	flows := authAtkFlows()
	for n, f := range []authAtkFlow{flows[2], flows[1], flows[0]} { // sign up first: it makes the accounts log in tries
		var sign float64
		for round := range rounds {
			var known, unknown []time.Duration
			for i := range tries {
				// Ten pairs per address stay under the per-address limit
				// of 30 attempts in 10 minutes.
				src := authAtkSource(n*20 + round*tries/10 + i/10)
				pair := []struct {
					email string
					into  *[]time.Duration
				}{{emails[f.name][0](round, i), &known}, {emails[f.name][1](round, i), &unknown}}
				if i%2 == 1 {
					pair[0], pair[1] = pair[1], pair[0]
				}
				for _, p := range pair {
					took, at := authAtkTry(t, ps, src, f, p.email)
					*p.into = append(*p.into, took)
					at.close()
				}
			}
			km, kq := authAtkMedian(known)
			um, uq := authAtkMedian(unknown)
			diff := float64(km-um) / float64(min(km, um))
			t.Logf("%s, round %d: %d tries each; known median %v (IQR %v), unknown median %v (IQR %v), difference %+.1f%%",
				f.name, round+1, tries, km.Round(10*time.Microsecond), kq.Round(10*time.Microsecond),
				um.Round(10*time.Microsecond), uq.Round(10*time.Microsecond), 100*diff)
			if diff <= 0.10 && diff >= -0.10 {
				break
			}
			if round == 0 {
				sign = diff
			} else if diff*sign < 0 {
				break // past 10% one way, then the other: noise
			}
			if round == rounds-1 {
				t.Errorf("%s: known and unknown emails answer %v apart in median (%+.1f%%), in every round: the time tells accounts apart",
					f.name, (km - um).Round(10*time.Microsecond), 100*diff)
			}
		}
	}
}

// TestAuthAttackInvitationTokens: guessing invitation tokens, by the
// invite-TOKEN user name and typed on the welcome screen, gets one and the
// same refusal, and makes no account; a used token is refused when
// replayed; a resent invitation revokes the old token. (Expiry needs a
// clock: TestAuthAttackInvitationExpiresOnTheDot and
// TestInvitationSingleUseExpiryAndResend in internal/portal. Codes, five
// tries then dead even for the right one: TestWrongCodeSixTimes, in
// internal/portal and tui/client.)
func TestAuthAttackInvitationTokens(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")
	annToken := inviteToken(t, ps.waitMail(t, "ann@example.com", subjInvitation, 0).Body)
	const invalid = "This invitation is not valid."

	var guesses []string
	for range 12 {
		tok, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		guesses = append(guesses, tok)
	}
	// Near misses and malformed ones: one character off the real token,
	// the real one in capitals with a character off, too short, outside
	// the alphabet.
	near := []byte(annToken)
	if near[len(near)-1] == 'a' {
		near[len(near)-1] = 'b'
	} else {
		near[len(near)-1] = 'a'
	}
	guesses = append(guesses, string(near), strings.ToUpper(string(near)), annToken[:31], strings.Repeat("1", 32))
	var first string
	for i, tok := range guesses {
		at := authAtkOpen(t, ps, authAtkSource(i/8), "invite-"+tok)
		at.waitFor(invalid)
		screen := authAtkNormal(at.settledScreen(), tok)
		at.close()
		if i == 0 {
			first = screen
		} else if screen != first {
			t.Fatalf("guess %q reads differently:\n%s\n--- first guess:\n%s", tok, screen, first)
		}
	}
	// Typed on the welcome screen's Accept invitation, with a password.
	for i, tok := range guesses[:3] {
		at := authAtkOpen(t, ps, authAtkSource(10), "guest")
		at.waitFor("Accept invitation")
		at.send("i")
		at.waitFor("Type the code from the invitation email")
		at.quickFill(tok, firstPassword, firstPassword)
		at.waitFor(invalid)
		at.close()
		if i == 0 && strings.Contains(at.screenText(), "Hello,") {
			t.Fatal("a guessed token logged in")
		}
	}
	if out := ps.admin1(t, "clients", "list", "--json"); strings.Count(out, `"email"`) != 1 || !strings.Contains(out, `"invited"`) {
		t.Fatalf("after %d guesses the clients are:\n%s", len(guesses)+3, out)
	}
	if n := len(authAtkAudit(t, ps, "invitation.accept")); n != 0 {
		t.Fatalf("%d invitations accepted by guessing", n)
	}

	// Replay: once used, the token is refused, by the user name or typed.
	_ = ps.acceptInvitation(t, annToken, "Ann Smith").c.Close()
	replay := authAtkOpen(t, ps, authAtkSource(11), "invite-"+annToken)
	replay.waitFor("This invitation was already used.")
	replay.close()
	typed := authAtkOpen(t, ps, authAtkSource(11), "guest")
	typed.waitFor("Accept invitation")
	typed.send("i")
	typed.waitFor("Type the code from the invitation email")
	typed.quickFill(annToken, secondPassword, secondPassword)
	typed.waitFor("This invitation was already used.")
	typed.close()
	if answer, _, _ := authAtkLogIn(t, ps, authAtkSource(11), "ann@example.com", firstPassword, false); answer != "Hello, " {
		t.Fatalf("the replay changed Ann's password: log in answered %q", answer)
	}

	// A new invitation revokes the old token.
	ps.admin1(t, "clients", "add", "--email", "bob@example.com", "--name", "Bob Brown")
	old := inviteToken(t, ps.waitMail(t, "bob@example.com", subjInvitation, 0).Body)
	ps.admin1(t, "invites", "resend", "bob@example.com")
	current := inviteToken(t, ps.waitMail(t, "bob@example.com", subjInvitation, 1).Body)
	revoked := authAtkOpen(t, ps, authAtkSource(12), "invite-"+old)
	revoked.waitFor("This invitation was replaced by a newer one.")
	revoked.close()
	_ = ps.acceptInvitation(t, current, "Bob Brown").c.Close()
	t.Logf("invitation tokens: %d guessed by user name and 3 typed, all refused alike; 2 replays and 1 revoked token refused", len(guesses))
}

// authAtkNoSign offers a key it does not hold, and records whether the
// server accepted the offer (the client signs only then).
type authAtkNoSign struct {
	gossh.Signer
	asked *bool
}

func (s authAtkNoSign) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	*s.asked = true
	return nil, errors.New("no private key")
}

// authAtkSteps tries the given methods in order, each once, whatever the
// server lists, as a hostile client would.
func authAtkSteps(steps ...gossh.AuthMethod) gossh.ClientAuthCallback {
	return func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		if len(steps) == 0 {
			return nil, errors.New("no more methods")
		}
		next := steps[0]
		steps = steps[1:]
		return next, nil
	}
}

// authAtkDialSteps connects as user with a client that tries steps.
func authAtkDialSteps(ps *portalServer, user string, steps ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", ps.addr, &gossh.ClientConfig{
		User:            user,
		AuthCallback:    authAtkSteps(steps...),
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// TestAuthAttackOfferedAdminKey: the admin's public key is no secret (it
// may be on a code host). Offered without a signature, then followed by a
// password and keyboard-interactive on portal-admin, it gets nothing; and
// the server answers the offer as it answers one of any key, so it does
// not tell which keys are staff keys. An unknown key is refused like it.
// Offered on a client's user name, the admin's key, signed or not, gives
// the client's welcome screen, never the console. (The same with a test
// router: TestOfferedKeyIsNotIdentity in internal/server.)
func TestAuthAttackOfferedAdminKey(t *testing.T) {
	ps := startPortal(t)
	stranger, _ := newSigner(t, t.TempDir(), "stranger")

	var adminAsked, strangerAsked bool
	c, err := authAtkDialSteps(ps, "portal-admin",
		gossh.PublicKeys(authAtkNoSign{ps.admin, &adminAsked}),
		gossh.Password(firstPassword),
		noQuestions(),
	)
	if err == nil {
		c.Close()
		t.Fatal("portal-admin got in with the admin's public key, unsigned, then a password and keyboard-interactive")
	}
	adminErr := err.Error()
	c, err = authAtkDialSteps(ps, "portal-admin",
		gossh.PublicKeys(authAtkNoSign{stranger, &strangerAsked}),
		gossh.Password(firstPassword),
		noQuestions(),
	)
	if err == nil {
		c.Close()
		t.Fatal("portal-admin got in with an unknown key")
	}
	if adminAsked != strangerAsked || err.Error() != adminErr {
		t.Fatalf("the server tells the admin's key from another: signature asked for the admin's %v, for a stranger's %v; errors %q and %q",
			adminAsked, strangerAsked, adminErr, err)
	}
	if c, err := ps.dial(t, "portal-admin", gossh.PublicKeys(stranger)); err == nil {
		c.Close()
		t.Fatal("portal-admin got in with an unknown key that signed")
	}

	// On a client's user name the admin's key is just a key.
	for _, methods := range [][]gossh.AuthMethod{
		{gossh.PublicKeys(authAtkNoSign{ps.admin, new(bool)}), noQuestions()},
		{gossh.PublicKeys(ps.admin)},
	} {
		tm := ps.openTerminalSized(t, "portal-admin2", 80, 24, methods...)
		tm.waitFor("Accept invitation")
		if screen := tm.screenText(); strings.Contains(screen, "ssh://127.0.0.1:2222") || strings.Contains(screen, "Clients") {
			t.Fatalf("a client's user name with the admin's key got the console:\n%s", screen)
		}
		_ = tm.c.Close()
	}
}

// authAtkRun runs command on a new connection as user, with a PTY or not,
// and returns everything it printed and its exit status.
func authAtkRun(t testing.TB, ps *portalServer, user string, pty bool, command []string, methods ...gossh.AuthMethod) (string, int) {
	t.Helper()
	c, err := ps.dial(t, user, methods...)
	if err != nil {
		t.Fatalf("dial %s: %v", user, err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if pty {
		if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := s.CombinedOutput(shellJoin(command))
	return string(out), exitStatus(t, err)
}

// TestAuthAttackStaffCommandsFromClientSessions: staff commands sent on a
// client's user name (any other than portal-admin, an invitation's
// included), with a PTY or without, with the admin's own key or none, get
// one line saying how to connect and a non-zero exit: no staff output and
// no change.
func TestAuthAttackStaffCommandsFromClientSessions(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")
	token := inviteToken(t, ps.waitMail(t, "ann@example.com", subjInvitation, 0).Body)
	eve, _ := newSigner(t, t.TempDir(), "eve")
	eveLine := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(eve.PublicKey())))
	commands := [][]string{
		{"clients", "list", "--json"},
		{"audit", "list"},
		{"signup", "on"},
		{"clients", "add", "--email", "eve@example.com", "--name", "Eve"},
		{"staff", "add", "--name", "eve", "--role", "admin", "--key", eveLine},
	}
	tries := 0
	for _, user := range []string{"guest", "invite-" + token, "Portal-Admin", "portal-admin "} {
		for _, methods := range [][]gossh.AuthMethod{{noQuestions()}, {gossh.PublicKeys(ps.admin)}} {
			for _, pty := range []bool{false, true} {
				for _, cmd := range commands {
					tries++
					out, code := authAtkRun(t, ps, user, pty, cmd, methods...)
					if code == 0 || !strings.Contains(out, "This portal needs a terminal") || strings.Contains(out, "ann@example.com") {
						t.Fatalf("%q as %q (pty %v): exit %d:\n%s", cmd, user, pty, code, out)
					}
				}
			}
		}
	}
	if got := strings.TrimSpace(ps.admin1(t, "signup", "status")); got != "off" {
		t.Fatalf("sign-up is %q", got)
	}
	if out := ps.admin1(t, "clients", "list"); strings.Contains(out, "eve@") {
		t.Fatalf("a client session added a client:\n%s", out)
	}
	if c, err := ps.dial(t, "portal-admin", gossh.PublicKeys(eve)); err == nil {
		c.Close()
		t.Fatal("a client session added a staff key")
	}
	// The invitation is still open: the commands on its user name did not
	// use it.
	_ = ps.acceptInvitation(t, token, "Ann Smith").c.Close()
	t.Logf("staff commands from client sessions: %d tried, all refused", tries)
}

// TestAuthAttackRemovedStaffKey: once a staff key is removed, a connection
// made with it before gets no more answers, a new one is refused by SSH,
// and on a client's user name it is any client's key. (The domain side:
// TestRemovedStaffKeyLosesItsRightsAtOnce.)
func TestAuthAttackRemovedStaffKey(t *testing.T) {
	ps := startPortal(t)
	ps.admin1(t, "clients", "add", "--email", "ann@example.com", "--name", "Ann Smith")
	sam, _ := newSigner(t, t.TempDir(), "sam")
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sam.PublicKey())))
	ps.admin1(t, "staff", "add", "--name", "sam", "--role", "admin", "--key", line)
	if out, _, code := ps.staff(t, sam, "", "clients", "list"); code != 0 || !strings.Contains(out, "ann@example.com") {
		t.Fatalf("sam before removal: exit %d: %s", code, out)
	}
	before, err := ps.dial(t, "portal-admin", gossh.PublicKeys(sam))
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	ps.admin1(t, "staff", "remove", "sam")

	s, err := before.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CombinedOutput("clients list")
	if code := exitStatus(t, err); code == 0 || strings.Contains(string(out), "ann@example.com") {
		t.Fatalf("a connection made before the removal still ran a command: exit %d:\n%s", code, out)
	}
	if c, err := ps.dial(t, "portal-admin", gossh.PublicKeys(sam)); err == nil {
		c.Close()
		t.Fatal("the removed key still connects as portal-admin")
	}
	if out, code := authAtkRun(t, ps, "sam", false, []string{"clients", "list"}, gossh.PublicKeys(sam)); code == 0 || strings.Contains(out, "ann@") {
		t.Fatalf("the removed key on a client's user name: exit %d:\n%s", code, out)
	}
	tm := ps.openTerminalSized(t, "sam", 80, 24, gossh.PublicKeys(sam))
	tm.waitFor("Accept invitation")
	_ = tm.c.Close()
}

// TestAuthAttackRemovedStaffKeyEndsItsSessions: removing a staff member
// ends the console and the command (an import still reading its input)
// they had open with their key, not only their next action.
func TestAuthAttackRemovedStaffKeyEndsItsSessions(t *testing.T) {
	ps := startPortal(t)
	sam, _ := newSigner(t, t.TempDir(), "sam")
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sam.PublicKey())))
	ps.admin1(t, "staff", "add", "--name", "sam", "--role", "admin", "--key", line)
	con := ps.openConsole(t, sam, 100, 30)
	con.waitFor("Clients")

	s, stdin, _ := ps.startStaff(t, sam, "clients import")
	if _, err := stdin.Write([]byte("email,name\nann@example.com,Ann Smith\n")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()

	ps.admin1(t, "staff", "remove", "sam")
	con.waitFor("Session ended")
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("an import still reading its input goes on after its key was removed")
	}
	// Its input was never closed: the import did not commit its batch.
	if out := ps.admin1(t, "clients", "list"); strings.Contains(out, "ann@example.com") {
		t.Fatalf("the import of a removed key committed:\n%s", out)
	}
}
