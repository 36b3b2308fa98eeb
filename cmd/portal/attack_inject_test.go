package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// injectPayload is a hostile value: each holds "EVIL" right before its
// first control, so finding the cleaned text on screen proves both that
// the field was shown and that the control at that spot was dropped.
type injectPayload struct {
	name string
	raw  string
	utf8 bool // PostgreSQL refuses invalid UTF-8 on write: kept to SQLite
}

func injectPayloads() []injectPayload {
	return []injectPayload{
		{"csi", "EVIL\x1b[2J\x1b[31m\x1b[6n", true},
		{"osc-title", "EVIL\x1b]0;title\x07", true},
		{"osc52-clipboard", "EVIL\x1b]52;c;cm0gLXJmIH4=\x07", true},
		{"osc8-link", "EVIL\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\", true},
		{"c1-utf8", "EVIL\u009b2J\u009d0;t\u009c", true},
		{"c1-raw-byte", "EVIL\x9b2J", false},
		{"carriage-return", "EVIL\rSAFE", true},
		{"backspace", "EVIL\b\b\b\bSAFE", true},
		{"bidi", "EVIL\u202etxt.exe\u2066\u2067\u2068\u2069", true},
		{"zero-width", "EVIL\u200bZW\u200b", true},
		{"invalid-utf8", "EVIL\xff\xfe\xc0", false},
	}
}

// injectValue is payload i behind a tag that tells the rows apart.
func injectValue(i int, p injectPayload) string { return fmt.Sprintf("Q%02d", i) + p.raw }

// injectShown is what must be visible of a value: its tag, EVIL and the
// few characters after it, as the sanitizer leaves them.
func injectShown(v string) string {
	r := []rune(text.Sanitize(v))
	return string(r[:min(len(r), len("Q00EVIL")+3)])
}

// injectUnsafe mirrors the design's list of runes no output may carry.
func injectUnsafe(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\r' && r != 0x1b) || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x061c || r == 0xfeff
}

// injectRendererSeq is the length of the escape sequence at the start of
// s when it is one the renderer makes (CSI with numeric parameters and a
// final letter it uses, charset and keypad modes), or 0.
func injectRendererSeq(s string) int {
	if len(s) < 2 || s[0] != 0x1b {
		return 0
	}
	switch s[1] {
	case '[':
		i := 2
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == ';' || s[i] == '?') {
			i++
		}
		if i < len(s) && strings.IndexByte("ABCDEFGHJKLMPSTXdhlmr", s[i]) >= 0 {
			return i + 1
		}
	case '(', ')':
		if len(s) >= 3 && strings.IndexByte("0B", s[2]) >= 0 {
			return 3
		}
	case '=', '>', '7', '8', 'M':
		return 2
	}
	return 0
}

// injectCheckRaw fails unless raw, as a terminal received it, is valid
// UTF-8 holding text and the renderer's own sequences only.
func injectCheckRaw(t *testing.T, where, raw string) {
	t.Helper()
	if !utf8.ValidString(raw) {
		i := 0
		for i < len(raw) {
			r, n := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		t.Errorf("%s: invalid UTF-8 at byte %d: %q", where, i, raw[max(0, i-40):min(len(raw), i+20)])
		return
	}
	for _, bad := range []string{"\x1b]", "\x1bP", "\x1b_", "\x1b^", "\x1bX", "\a"} {
		if i := strings.Index(raw, bad); i >= 0 {
			t.Errorf("%s: %q from data at byte %d: %q", where, bad, i, raw[max(0, i-40):min(len(raw), i+20)])
			return
		}
	}
	for i := 0; i < len(raw); {
		if raw[i] == 0x1b {
			n := injectRendererSeq(raw[i:])
			if n == 0 {
				t.Errorf("%s: an escape the renderer does not make at byte %d: %q", where, i, raw[max(0, i-40):min(len(raw), i+20)])
				return
			}
			i += n
			continue
		}
		r, n := utf8.DecodeRuneInString(raw[i:])
		if injectUnsafe(r) {
			t.Errorf("%s: %U at byte %d: %q", where, r, i, raw[max(0, i-40):min(len(raw), i+20)])
			return
		}
		i += n
	}
}

// injectCheckText is injectCheckRaw for a command's output or a log,
// where no escape at all belongs.
func injectCheckText(t *testing.T, where, out string) {
	t.Helper()
	if strings.Contains(out, "\x1b") {
		i := strings.Index(out, "\x1b")
		t.Errorf("%s: ESC at byte %d: %q", where, i, out[max(0, i-40):min(len(out), i+20)])
		return
	}
	injectCheckRaw(t, where, out)
}

// injectCheckJSON checks --json output: valid, and every string in it
// already cleaned (the design sends every user-supplied string through the
// sanitizer, JSON included, so a script printing a field is safe too).
func injectCheckJSON(t *testing.T, where, out string) {
	t.Helper()
	injectCheckText(t, where, out)
	if !json.Valid([]byte(out)) {
		t.Errorf("%s: not JSON: %q", where, out)
		return
	}
	var v any
	_ = json.Unmarshal([]byte(out), &v)
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for _, r := range v {
				if injectUnsafe(r) || r == 0x1b || (r == '\r' && !strings.Contains(v, "\r\n")) {
					t.Errorf("%s: a JSON string holds %U: %q", where, r, v)
					return
				}
			}
			if strings.ContainsRune(v, utf8.RuneError) && !strings.Contains(strings.ToUpper(v), "EVIL") {
				t.Errorf("%s: U+FFFD away from a payload: %q", where, v)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
}

// injectSeed stores every payload in every field through the store, as an
// old version, a bug or a hand-edited database would leave them: the
// portal's doors refuse most of these.
type injectSeed struct {
	values   []string // value of payload i
	emails   []string // the client holding payload i
	requests []uint64 // the victim's request holding payload i
	types    []uint64
}

func injectSeedStore(t *testing.T, st *store.Store, victim *store.Client, payloads []injectPayload) injectSeed {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var seed injectSeed
	for i, p := range payloads {
		v := injectValue(i, p)
		seed.values = append(seed.values, v)
		email := strings.ToLower(v) + "@x.example"
		seed.emails = append(seed.emails, email)
		c := &store.Client{Email: email, Name: v, Company: v, Phone: v, Lang: "en", Status: vocab.StatusAwaiting, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatalf("client %s: %v", p.name, err)
		}
		fields, _ := json.Marshal([]portal.RequestField{{Label: v, Kind: vocab.FieldText}, {Label: "Pick", Kind: vocab.FieldChoice, Choices: []string{v, "B"}}})
		rt := &store.RequestType{Name: v, NameNorm: fmt.Sprintf("inject type %d", i), Description: v, Fields: string(fields), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateRequestType(ctx, rt); err != nil {
			t.Fatalf("type %s: %v", p.name, err)
		}
		seed.types = append(seed.types, rt.ID)
		values, _ := json.Marshal([]portal.FieldValue{{Label: v, Kind: vocab.FieldText, Value: v}, {Label: "Pick", Kind: vocab.FieldChoice, Value: v}})
		q := &store.Request{ClientID: victim.ID, TypeID: rt.ID, TypeName: v, Summary: v, Fields: string(values), Status: vocab.RequestNew,
			Assignee: v, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now}
		if err := st.CreateRequest(ctx, q); err != nil {
			t.Fatalf("request %s: %v", p.name, err)
		}
		seed.requests = append(seed.requests, q.ID)
		for _, e := range []store.RequestEvent{
			{Kind: vocab.EventSubmitted, AuthorKind: vocab.ActorClient, Author: v},
			{Kind: vocab.EventNote, AuthorKind: vocab.ActorClient, Author: v, Body: "client says\n" + v},
			{Kind: vocab.EventNote, AuthorKind: vocab.ActorStaff, Author: v, Body: "staff says\n" + v},
			{Kind: vocab.EventNote, AuthorKind: vocab.ActorStaff, Author: v, Body: "internal\n" + v, Internal: true},
			{Kind: vocab.EventAssign, AuthorKind: vocab.ActorStaff, Author: v, Body: v},
		} {
			e.RequestID, e.At = q.ID, now
			if err := st.AddRequestEvent(ctx, &e); err != nil {
				t.Fatalf("event %s: %v", p.name, err)
			}
		}
		m := &store.OutboxMessage{Kind: "invitation", ClientID: &c.ID, ToAddr: email, Subject: v, Body: v, State: vocab.MailFailed,
			NextAttemptAt: now.Add(24 * time.Hour), Attempts: 3, LastError: v, CreatedAt: now} // not yet due: the worker leaves it
		if err := st.EnqueueMail(ctx, m); err != nil {
			t.Fatalf("outbox %s: %v", p.name, err)
		}
		if err := st.AddAudit(ctx, &store.AuditEvent{At: now, ActorKind: vocab.ActorStaff, Actor: v, Action: "client.add", Subject: v, Detail: v, RemoteAddr: "127.0.0.1:1"}); err != nil {
			t.Fatalf("audit %s: %v", p.name, err)
		}
	}
	return seed
}

// injectPlace is a screen: open drives the terminal there and returns
// what it showed; shows is the values it must show.
type injectPlace struct {
	name  string
	open  func(tm *terminal) string
	shows []string
}

// injectGo sends keys, waits for want, and returns the raw bytes since.
func injectGo(tm *terminal, want string, keys ...string) string {
	tm.t.Helper()
	from := tm.out.Len()
	for _, k := range keys {
		tm.send(k)
		time.Sleep(20 * time.Millisecond)
	}
	tm.waitFor(want)
	time.Sleep(50 * time.Millisecond) // the rest of the frame
	return tm.out.String()[from:]
}

// injectEsc sends Esc and waits until the program draws what it did: a
// key sent before that could be read with it, as alt+key.
func injectEsc(tm *terminal) {
	tm.t.Helper()
	from := tm.out.Len()
	tm.send("\x1b")
	deadline := time.Now().Add(15 * time.Second)
	for tm.out.Len() == from {
		if time.Now().After(deadline) {
			tm.t.Fatal("Esc drew nothing")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// injectEach opens n pages from a list, one after the other, and returns
// everything they showed.
func injectEach(tm *terminal, skip, n int, want string) string {
	tm.t.Helper()
	var all strings.Builder
	for k := range n {
		keys := []string{"\x1b[H"} // home
		for range skip + k {
			keys = append(keys, "\x1b[B") // down
		}
		all.WriteString(injectGo(tm, want, append(keys, "\r")...))
		injectEsc(tm)
	}
	return all.String()
}

// injectRun opens each place on tm, a cols x rows terminal, and checks
// what it showed.
func injectRun(t *testing.T, tm *terminal, cols, rows int, places []injectPlace) {
	t.Helper()
	for _, pl := range places {
		t.Run(pl.name, func(t *testing.T) {
			tm.t = t
			raw := pl.open(tm)
			// The renderer skips lines the last frame already had; a resize
			// makes it draw the whole view again.
			from := tm.out.Len()
			if err := tm.s.WindowChange(rows, cols); err != nil {
				t.Fatalf("window change: %v", err)
			}
			// The whole frame comes when the program takes the resize,
			// which on a loaded machine may be late: wait until every
			// value shows, or report the ones that never did.
			var missing []string
			for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				missing = injectMissing(ansi.Strip(raw+tm.out.String()[from:]), pl.shows)
				if len(missing) == 0 || time.Now().After(deadline) {
					break
				}
			}
			raw += tm.out.String()[from:]
			injectCheckRaw(t, pl.name, raw)
			for _, v := range missing {
				t.Errorf("%s does not show %q (from %q):\n%s", pl.name, injectShown(v), v, ansi.Strip(raw))
			}
		})
	}
}

// injectMissing returns the values of shows that shown lacks.
func injectMissing(shown string, shows []string) []string {
	var missing []string
	for _, v := range shows {
		// Input fields drop invalid UTF-8 rather than show U+FFFD.
		dropped := injectShown(strings.ReplaceAll(text.Sanitize(v), "\uFFFD", ""))
		if !strings.Contains(shown, injectShown(v)) && !strings.Contains(shown, dropped) {
			missing = append(missing, v)
		}
	}
	return missing
}

// TestTerminalInjection stores every hostile payload in every
// user-supplied field, through every door and straight into the database,
// then reads it back in every view over SSH, every command's output (plain
// and --json) and the server's log: none carries a control, only the text.
func TestTerminalInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("drives every view over SSH: skipped with -short")
	}
	logs := &syncBuffer{}
	ps := startPortalLogged(t, logs)
	ctx := context.Background()

	var payloads []injectPayload
	for _, p := range injectPayloads() {
		if p.utf8 || ps.db == "" {
			payloads = append(payloads, p)
		}
	}

	// The doors first: each refuses cleanly or stores the value cleaned.
	t.Run("doors", func(t *testing.T) {
		ps.admin1(t, "types", "add", "Advice", "--field", "Question: text, required")
		var csv strings.Builder
		for i, p := range payloads {
			v := injectValue(i, p)
			for _, args := range [][]string{
				{"clients", "add", "--email", fmt.Sprintf("door%d@x.example", i), "--name", v},
				{"clients", "add", "--email", fmt.Sprintf("door%d@x.example", i), "--name", "Door", "--company", v},
				{"clients", "add", "--email", fmt.Sprintf("door%d@x.example", i), "--name", "Door", "--phone", "+1 555 " + v},
				{"clients", "add", "--email", v + "@x.example", "--name", "Door"},
				{"types", "add", v, "--field", "Question: text"},
				{"types", "add", "Door type", "--description", v, "--field", "Question: text"},
				{"types", "add", "Door type", "--field", v + ": text"},
				{"types", "add", "Door type", "--field", "Pick: choice(" + v + " | B)"},
			} {
				out, errOut, code := ps.staff(t, ps.admin, "", args...)
				where := fmt.Sprintf("%s %s", p.name, strings.Join(args[:2], " "))
				injectCheckText(t, where+" stdout", out)
				injectCheckText(t, where+" stderr", errOut)
				if code == 0 {
					t.Errorf("%s: accepted a value holding controls: %q", where, out)
				}
			}
			fmt.Fprintf(&csv, "csv%d@x.example,%s,Co,\n", i, v)
			fmt.Fprintf(&csv, "csv%db@x.example,Name,%s,\n", i, v)
			fmt.Fprintf(&csv, "csv%dc@x.example,Name,Co,%s\n", i, "+1 555 "+v)
			fmt.Fprintf(&csv, "%s@x.example,Name,Co,\n", v)
		}
		out, errOut, code := ps.staff(t, ps.admin, csv.String(), "clients", "import")
		injectCheckText(t, "clients import stdout", out)
		injectCheckText(t, "clients import stderr", errOut)
		if code == 0 || strings.Count(errOut, "\n") < 4*len(payloads) {
			t.Errorf("clients import: exit %d, want every hostile line refused:\n%s", code, errOut)
		}
		// A door that cleans the value on the way in is fine too; but none
		// stored it raw.
		list := ps.admin1(t, "clients", "list", "--json")
		injectCheckJSON(t, "clients list after the doors", list)
	})

	st, err := store.Open(ctx, injectDSN(ps))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ps.invitedClient(t, "victim@example.com", "Victim Person")
	victim, err := st.ClientByEmail(ctx, "victim@example.com")
	if err != nil {
		t.Fatal(err)
	}
	seed := injectSeedStore(t, st, victim, payloads)
	all := seed.values

	t.Run("console", func(t *testing.T) { injectConsole(t, ps, seed) })
	t.Run("commands", func(t *testing.T) { injectCommands(t, ps, seed) })
	t.Run("client", func(t *testing.T) {
		tm := injectLogIn(t, ps, "victim@example.com")
		// An SSH user name is the first thing a client supplies.
		for _, v := range all {
			evil := ps.openTerminalSized(t, v, 100, 30)
			evil.waitFor("Accept invitation")
			time.Sleep(50 * time.Millisecond)
			injectCheckRaw(t, "welcome screen of user "+fmt.Sprintf("%q", v), evil.out.String())
			_ = evil.c.Close()
		}
		places := []injectPlace{
			{"my requests", func(tm *terminal) string { return injectGo(tm, "My requests", "m") }, all},
			{"request pages", func(tm *terminal) string { return injectEach(tm, 0, len(all), "History") }, all},
			{"new request types", func(tm *terminal) string {
				injectEsc(tm)
				return injectGo(tm, "What do you need", "n")
			}, all},
			{"new request forms", func(tm *terminal) string {
				return injectEach(tm, 1, len(all), "New request: ") // Advice comes first
			}, all},
		}
		injectRun(t, tm, 160, 60, places)
		// The greeting and the profile come from the client's row as read
		// at log in: each round logs in again, with a payload in each field.
		rounds := (len(all) + 2) / 3
		for k := range rounds {
			pick := func(f int) string { return all[min(k+f*rounds, len(all)-1)] }
			name, company, phone := pick(0), pick(1), pick(2)
			if err := st.UpdateClient(ctx, victim.ID, store.ClientUpdate{Name: &name, Company: &company, Phone: &phone}); err != nil {
				t.Fatal(err)
			}
			tm := injectLogIn(t, ps, "victim@example.com")
			injectRun(t, tm, 160, 60, []injectPlace{
				{fmt.Sprintf("greeting %d", k), func(tm *terminal) string { return tm.out.String() }, []string{name}},
				{fmt.Sprintf("profile %d", k), func(tm *terminal) string { return injectGo(tm, "Edit profile", "e") }, []string{name, company, phone}},
			})
		}
	})

	t.Run("screen doors", func(t *testing.T) { injectScreenDoors(t, ps, st, victim, seed) })

	ps.stop()
	log := logs.String()
	injectCheckText(t, "the server's log", log)
	if !strings.Contains(log, "ssh session start") || !strings.Contains(log, "user=Q00EVIL") {
		t.Errorf("the log lacks the sessions of the hostile user names:\n%s", log)
	}
}

// The console, subtest of TestTerminalInjection's shape, kept apart to
// stay readable: every tab and page that shows a seeded field.
func injectConsole(t *testing.T, ps *portalServer, seed injectSeed) {
	all := seed.values
	// A list is loaded once its last row shows: keys sent while it says
	// "Loading…" are not for it.
	last := injectShown(all[len(all)-1])
	search := func(tm *terminal) string {
		injectGo(tm, "Search", "/")
		for _, r := range "q0" {
			tm.send(string(r))
			time.Sleep(20 * time.Millisecond)
		}
		return injectGo(tm, `Search: "q0"`, "\r")
	}
	places := []injectPlace{
		{"client list", func(tm *terminal) string { return injectGo(tm, injectShown(all[len(all)-1])) }, all},
		{"client details", func(tm *terminal) string { return injectEach(tm, 0, len(all), "Invitations") }, all},
		{"search", search, all[:min(len(all), 10)]},
		{"requests", func(tm *terminal) string { return injectGo(tm, last, "2") }, all},
		{"request pages", func(tm *terminal) string { return injectEach(tm, 0, len(all), "History") }, all},
		{"sign-ups", func(tm *terminal) string { return injectGo(tm, last, "3") }, all},
		{"outbox", func(tm *terminal) string { return injectGo(tm, last, "4") }, all},
		{"audit", func(tm *terminal) string { return injectGo(tm, last, "5") }, all},
		{"request types", func(tm *terminal) string { return injectGo(tm, last, "6", "t") }, all},
		{"request type forms", func(tm *terminal) string { return injectEach(tm, 1, len(all), "Edit the request type") }, all},
	}
	injectRun(t, ps.openConsole(t, ps.admin, 200, 60), 200, 60, places)
}

// injectCommands runs every command that prints a seeded field, plain and
// --json, and the refusals that echo an argument.
func injectCommands(t *testing.T, ps *portalServer, seed injectSeed) {
	all := seed.values
	type command struct {
		args  []string
		shows []string // values the output must show
		fails bool     // a refusal, on stderr
	}
	cmds := []command{
		{[]string{"clients", "list"}, all, false},
		{[]string{"clients", "list", "--search", "q0"}, all[:min(len(all), 10)], false},
		{[]string{"clients", "list", "--status", "awaiting"}, all, false},
		{[]string{"signup", "pending"}, all, false},
		{[]string{"requests", "list"}, all, false},
		{[]string{"outbox", "list"}, all, false},
		{[]string{"audit", "list"}, all, false},
		{[]string{"types", "list"}, all, false},
	}
	for i, v := range all {
		cmds = append(cmds,
			command{[]string{"clients", "show", seed.emails[i]}, []string{v}, false},
			command{[]string{"requests", "show", fmt.Sprint(seed.requests[i])}, []string{v}, false},
			command{[]string{"types", "show", fmt.Sprint(seed.types[i])}, []string{v}, false},
			// Refusals and usage errors that repeat what they were given.
			command{[]string{"clients", "show", v}, nil, true},
			command{[]string{"clients", "list", "--status", v}, nil, true},
			command{[]string{"requests", "show", v}, nil, true},
			command{[]string{"requests", "list", "--status", v}, nil, true},
			command{[]string{"types", "show", v}, nil, true},
			command{[]string{"invites", "resend", v}, nil, true},
			command{[]string{v}, nil, true},
			command{[]string{"clients", v}, nil, true},
			command{[]string{"clients", "list", "--" + v}, nil, true},
			command{[]string{"requests", "note", "--visible", fmt.Sprint(seed.requests[i]), v}, nil, true},
			command{[]string{"requests", "assign", fmt.Sprint(seed.requests[i]), v}, nil, true},
		)
	}
	for _, c := range cmds {
		for _, asJSON := range []bool{false, true} {
			args := c.args
			if asJSON {
				if c.fails {
					continue
				}
				args = append(slices.Clone(args), "--json")
			}
			name := strings.Join(args, " ")
			out, errOut, code := ps.staff(t, ps.admin, "", args...)
			if (code != 0) != c.fails {
				t.Errorf("%q: exit %d; stderr %q", name, code, errOut)
			}
			if asJSON {
				injectCheckJSON(t, fmt.Sprintf("%q stdout", name), out)
			} else {
				injectCheckText(t, fmt.Sprintf("%q stdout", name), out)
			}
			injectCheckText(t, fmt.Sprintf("%q stderr", name), errOut)
			for _, v := range c.shows {
				if !strings.Contains(out, injectShown(v)) {
					t.Errorf("%q does not show %q (from %q):\n%s", name, injectShown(v), v, out)
				}
			}
		}
	}
}

// injectPaste sends v as a terminal pastes it: every byte of it arrives.
func injectPaste(tm *terminal, v string) {
	tm.t.Helper()
	tm.send("\x1b[200~" + v + "\x1b[201~")
	time.Sleep(100 * time.Millisecond)
}

// injectClean fails when a stored value still holds what the sanitizer
// drops: a door let it through.
func injectClean(t *testing.T, where, v string) {
	t.Helper()
	if text.SanitizeMultiline(v) != v || (!strings.HasSuffix(where, "note") && strings.Contains(v, "\n")) {
		t.Errorf("%s stored raw: %q", where, v)
	}
	if !strings.Contains(v, "EVIL") {
		t.Errorf("%s stored without its text: %q", where, v)
	}
}

// injectScreenDoors pastes every payload into the forms a person has: the
// client's profile and note, the staff's note in the console, and the
// note a script pipes in. Each stores the text cleaned (or refuses it),
// and the screen that answers shows it clean.
func injectScreenDoors(t *testing.T, ps *portalServer, st *store.Store, victim *store.Client, seed injectSeed) {
	ctx := context.Background()
	all := seed.values
	shown := func(v string) string { return injectShown(strings.ReplaceAll(text.Sanitize(v), "\uFFFD", "")) }
	// A note keeps its lines: a pasted "\r" starts a new one.
	noteShown := func(v string) string {
		first, _, _ := strings.Cut(text.SanitizeMultiline(strings.ReplaceAll(v, "\r", "\n")), "\n")
		return shown(first)
	}
	// The profile form refuses to save the hostile phone seeded earlier.
	name, none := "Victim Person", ""
	if err := st.UpdateClient(ctx, victim.ID, store.ClientUpdate{Name: &name, Company: &none, Phone: &none}); err != nil {
		t.Fatal(err)
	}
	tm := injectLogIn(t, ps, "victim@example.com")
	for i, v := range all {
		from := tm.out.Len()
		tm.send("e")
		tm.waitFor("Edit profile")
		tm.send(strings.Repeat("\x7f", 80))
		time.Sleep(100 * time.Millisecond) // not read with the paste
		injectPaste(tm, v)
		tm.fill("", "", "")
		tm.waitFor("Hello, " + shown(v))
		injectCheckRaw(t, fmt.Sprintf("profile saved with %q", v), tm.out.String()[from:])
		c, err := st.ClientByEmail(ctx, victim.Email)
		if err != nil {
			t.Fatal(err)
		}
		injectClean(t, fmt.Sprintf("profile name %d", i), c.Name)
	}

	req := seed.requests[len(seed.requests)-1] // the newest: first in the lists
	tm.send("m")
	tm.waitFor("My requests")
	injectEnterUntil(tm, "History")
	for _, v := range all {
		from := tm.out.Len()
		tm.send("n")
		tm.waitFor("Note on request")
		note := "N" + v[1:]
		injectPaste(tm, note)
		tm.send("\x13") // ctrl+s
		tm.waitFor("Your note was sent")
		injectWaitSince(tm, from, noteShown(note)) // in the history below
		injectCheckRaw(t, fmt.Sprintf("client note %q", v), tm.out.String()[from:])
	}

	con := ps.openConsole(t, ps.admin, 200, 60)
	con.waitFor("Clients")
	con.send("2")
	con.waitFor(injectShown(all[len(all)-1]))
	injectEnterUntil(con, "History")
	for _, v := range all {
		from := con.out.Len()
		con.send("n")
		con.waitFor("Internal note")
		note := "S" + v[1:]
		injectPaste(con, note)
		con.send("\x14") // ctrl+t: visible to the client
		con.waitFor("VISIBLE TO THE CLIENT")
		con.send("\x13")
		con.waitFor("Note added to request")
		injectWaitSince(con, from, noteShown(note))
		injectCheckRaw(t, fmt.Sprintf("staff note %q", v), con.out.String()[from:])
		out, errOut, code := ps.staff(t, ps.admin, "P"+v[1:], "requests", "note", fmt.Sprint(req), "--visible")
		injectCheckText(t, fmt.Sprintf("piped note %q stdout", v), out)
		injectCheckText(t, fmt.Sprintf("piped note %q stderr", v), errOut)
		if code != 0 && !strings.Contains(errOut, "characters") {
			t.Errorf("piped note %q: exit %d with %q", v, code, errOut)
		}
	}

	events, err := st.RequestEvents(ctx, store.EventQuery{RequestID: req, WithInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]int{}
	for _, e := range events {
		for _, who := range []string{"N", "S", "P"} {
			if strings.HasPrefix(e.Body, who) && strings.Contains(e.Body, "EVIL") {
				notes[who]++
				injectClean(t, who+" note", e.Body)
			}
		}
	}
	if notes["N"] != len(all) || notes["S"] != len(all) {
		t.Errorf("notes stored: %v, want %d of the client's and the staff's", notes, len(all))
	}

}

// injectWaitSince waits until want shows in what tm received since from.
func injectWaitSince(tm *terminal, from int, want string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(ansi.Strip(tm.out.String()[from:]), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.t.Fatalf("waited for %q; screen since:\n%s", want, ansi.Strip(tm.out.String()[from:]))
}

// injectEnterUntil presses Enter until want shows: an Enter that arrives
// while a list still loads is not for it.
func injectEnterUntil(tm *terminal, want string) {
	tm.t.Helper()
	from := tm.out.Len()
	for range 20 {
		tm.send("\r")
		time.Sleep(500 * time.Millisecond)
		if strings.Contains(ansi.Strip(tm.out.String()[from:]), want) {
			break
		}
	}
	tm.waitFor(want)
}

// injectDSN is the database the server under test uses.
func injectDSN(ps *portalServer) string {
	if ps.db != "" {
		return ps.db
	}
	return filepath.Join(ps.dataDir, "portal.db")
}

// injectLogIn logs the client email in on a terminal big enough to show
// every seeded row at once.
func injectLogIn(t *testing.T, ps *portalServer, email string) *terminal {
	t.Helper()
	tm := ps.openTerminalSized(t, "victim", 160, 60)
	tm.waitFor("Accept invitation")
	tm.send("l")
	tm.waitFor("Log in with the email")
	tm.fill(email, firstPassword)
	tm.waitFor("Hello, ")
	return tm
}
