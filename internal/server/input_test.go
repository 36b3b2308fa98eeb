package server

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// waitForWithin is tm.waitFor with its own bound.
func (tm *terminal) waitForWithin(t *testing.T, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(tm.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in output after %v:\n%.2000q", want, d, tm.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestInputIsPaced: keys sent at once reach the program no faster than the
// session's pace (a token bucket can never pass more than its burst plus
// its rate times the time elapsed), while a bracketed paste costs a token
// per pasteBytesPerToken of content, so one paste is as quick as a key or
// two and pastes one after another are still paced.
func TestInputIsPaced(t *testing.T) {
	const rate, burst = 8 << 10, 4 << 10
	h := newHarness(t, func(c *Config, _ *Routes) { c.InputRate, c.InputBurst = rate, burst })
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")

	const n = 36 << 10 // within the session's input buffer
	start := time.Now()
	tm.send(t, strings.Repeat("k", n))
	tm.waitForWithin(t, fmt.Sprintf("keys=%d ", n), 60*time.Second)
	took := time.Since(start)
	// The least time the bucket allows, less one read's overdraw.
	least := time.Duration(float64(n-burst-maxSequence) / rate * float64(time.Second))
	t.Logf("%d keys at once reached the program in %v (the pace allows no less than %v)", n, took.Round(time.Millisecond), least)
	if took < least {
		t.Errorf("%d keys reached the program in %v, faster than the pace allows (%v)", n, took, least)
	}

	// A 40 KiB paste at 1 KiB a second would take 40 s if it were paced
	// byte by byte; it costs one key.
	slow := newHarness(t, func(c *Config, _ *Routes) { c.InputRate, c.InputBurst = 1<<10, 1<<10 })
	tm = openTerminal(t, slow.mustDial(t, "bob"))
	tm.waitFor(t, "hello bob")
	start = time.Now()
	tm.send(t, "\x1b[200~"+strings.Repeat("p", 40<<10)+"\x1b[201~x")
	tm.waitForWithin(t, "keys=2 ", 20*time.Second) // the paste and the x
	t.Logf("a 40 KiB paste and a key taken in %v at 1 KiB/s", time.Since(start).Round(time.Millisecond))

	// Pastes one after another are paced too, at a token per
	// pasteBytesPerToken of content: 48 KiB of them cost 768 tokens, so
	// at 256 a second, from a burst of 256, no sooner than 2 s.
	const pasteRate = 256
	paced := newHarness(t, func(c *Config, _ *Routes) { c.InputRate, c.InputBurst = pasteRate, pasteRate })
	tm = openTerminal(t, paced.mustDial(t, "carol"))
	tm.waitFor(t, "hello carol")
	const pastes, each = 6, 8 << 10
	start = time.Now()
	tm.send(t, strings.Repeat("\x1b[200~"+strings.Repeat("p", each)+"\x1b[201~", pastes)+"x")
	tm.waitForWithin(t, fmt.Sprintf("keys=%d ", pastes+1), 60*time.Second)
	took = time.Since(start)
	least = time.Duration(float64(pastes*each/pasteBytesPerToken-pasteRate) / pasteRate * float64(time.Second) * 0.9)
	t.Logf("%d pastes of %d bytes taken in %v (the pace allows no less than %v)", pastes, each, took.Round(time.Millisecond), least)
	if took < least {
		t.Errorf("%d back-to-back pastes reached the program in %v, faster than the pace allows (%v)", pastes, took, least)
	}
}

// TestPastesOneAfterAnother: a person pastes a megabyte into one field and
// at once another into the next, while the program is still taking the
// first. The session goes on: the first paste is cut at maxPasteBytes, the
// second where it would fill the input buffer past maxPastedInput (the
// program has taken some of the first by then), and the key after them is
// taken. (A slow pace keeps the first paste in the
// buffer while the second arrives, as a busy machine does.)
func TestPastesOneAfterAnother(t *testing.T) {
	const pace = 256 // tokens a second: 48 KiB of paste take 3 s
	h := newHarness(t, func(c *Config, _ *Routes) { c.InputRate, c.InputBurst = pace, pace })
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")
	mega := strings.Repeat("p", 1<<20)
	tm.send(t, "\x1b[200~"+mega+"\x1b[201~\x1b[200~"+mega+"\x1b[201~x")
	tm.waitForWithin(t, "keys=3 ", 60*time.Second) // two pastes and the x
	got := tm.out.String()
	i := strings.LastIndex(got, "pasted=")
	var pasted int
	if _, err := fmt.Sscanf(got[i:], "pasted=%d.", &pasted); err != nil {
		t.Fatalf("no paste count in %.200q: %v", got[i:], err)
	}
	t.Logf("two megabyte pastes at once: %d bytes reached the program", pasted)
	if pasted < maxPasteBytes || pasted >= 2*maxPasteBytes {
		t.Errorf("%d bytes of two pastes reached the program, want the first whole (%d) and the second cut short",
			pasted, maxPasteBytes)
	}
	tm.send(t, "q")
	if code := tm.exit(t); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

// TestAbuseNonReadingClientsMemory: clients that stop reading altogether
// (not even their socket) while they send keys and resizes. The server's
// output waits on them, so its program takes no input; the server must
// still not hold what the channel window lets them send (2 MiB each in
// x/crypto, plus the program's input path). The clients here hold nothing:
// their unread bytes stay in the kernel.
func TestAbuseNonReadingClientsMemory(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "warmup")
	openTerminal(t, c).waitFor(t, "hello warmup")
	c.Close()
	base := abuseSteady()
	heapBefore := abuseHeap()

	const sessions = 6
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var clients []*gossh.Client
	for i := range sessions {
		client, gate := h.gatedSSHFrom(t, fmt.Sprintf("127.0.0.%d", 40+i), fmt.Sprintf("fill%d", i))
		clients = append(clients, client)
		ch := openStalled(t, client)
		gate.stopReading()
		// Frames of 128x512 (64 KiB each) fill the window soon.
		wg.Go(func() {
			until(stop, func(n uint32) error {
				_, err := ch.SendRequest("window-change", false, abuseWindow(128-n%2, maxWindowRows))
				return err
			})
		})
		wg.Go(func() {
			keys := []byte(strings.Repeat("abc", 1000))
			until(stop, func(uint32) error { _, err := ch.Write(keys); return err })
		})
	}
	var ms runtime.MemStats
	var peak uint64
	for range 30 {
		time.Sleep(100 * time.Millisecond) // sampling the heap, not waiting for an event
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	after := abuseHeap()
	t.Logf("%d clients sending and reading nothing: heap before %s, peak %s, after 3 s %s",
		sessions, abuseMiB(heapBefore), abuseMiB(peak), abuseMiB(after))
	if limit := heapBefore + sessions<<20; peak > limit {
		t.Errorf("heap peaked at %s with %d clients that read nothing, want under %s", abuseMiB(peak), sessions, abuseMiB(limit))
	}
	close(stop)
	for _, c := range clients {
		c.Close() // a client that reads nothing learns of nothing else
	}
	wg.Wait()
	if n := abuseSettle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}
