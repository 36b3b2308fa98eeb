package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cheap keeps tests fast; the PHC format test uses DefaultParams.
func cheap() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	want := Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if p != want {
		t.Fatalf("DefaultParams() = %+v, want %+v", p, want)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultParams invalid: %v", err)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Params)
		ok   bool
	}{
		{"cheap", func(*Params) {}, true},
		{"time zero", func(p *Params) { p.Time = 0 }, false},
		{"time too high", func(p *Params) { p.Time = maxTime + 1 }, false},
		{"threads zero", func(p *Params) { p.Threads = 0 }, false},
		{"memory below 8 per lane", func(p *Params) { p.Threads = 4; p.Memory = 31 }, false},
		{"memory at 8 per lane", func(p *Params) { p.Threads = 4; p.Memory = 32 }, true},
		{"memory too high", func(p *Params) { p.Memory = maxMemoryKiB + 1 }, false},
		{"salt too short", func(p *Params) { p.SaltLen = 7 }, false},
		{"salt too long", func(p *Params) { p.SaltLen = maxSaltLen + 1 }, false},
		{"key too short", func(p *Params) { p.KeyLen = 15 }, false},
		{"key too long", func(p *Params) { p.KeyLen = maxKeyLen + 1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cheap()
			tt.mod(&p)
			err := p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", p, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadParams) {
				t.Fatalf("error %v does not wrap ErrBadParams", err)
			}
		})
	}
}

func TestNewHasher(t *testing.T) {
	if got := cap(NewHasher(cheap(), 0).sem); got != runtime.NumCPU() {
		t.Errorf("concurrency 0: cap = %d, want NumCPU %d", got, runtime.NumCPU())
	}
	if got := cap(NewHasher(cheap(), 3).sem); got != 3 {
		t.Errorf("concurrency 3: cap = %d", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewHasher with Time 0 did not panic")
		}
	}()
	bad := cheap()
	bad.Time = 0
	NewHasher(bad, 1)
}

func TestHashFormat(t *testing.T) {
	h := NewHasher(DefaultParams(), 1)
	enc, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("Hash = %q, not the expected PHC form", enc)
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap(), 2)
	const pw = "a long enough passphrase with spaces"
	enc1, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	enc2, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if enc1 == enc2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"right", pw, true},
		{"wrong", pw + "!", false},
		{"case differs", strings.ToUpper(pw), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, enc1, tt.pw)
			if err != nil || ok != tt.want || rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, false, nil", ok, rehash, err, tt.want)
			}
		})
	}
}

func TestVerifyNFKC(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap(), 1)
	tests := []struct{ stored, typed string }{
		{"ﬁnancial ﬁle cabinet", "financial file cabinet"},
		{"ＦＵＬＬＷＩＤＴＨ　ｐａｓｓ", "FULLWIDTH pass"},
		{"cafe\u0301 au lait", "caf\u00e9 au lait"}, // decomposed vs precomposed é
	}
	for _, tt := range tests {
		enc, err := h.Hash(ctx, tt.stored)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := h.Verify(ctx, enc, tt.typed); !ok || err != nil {
			t.Errorf("Verify(hash(%q), %q) = %v, %v; want true", tt.stored, tt.typed, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	base := cheap()
	base.Time = 2
	current := NewHasher(base, 1)
	tests := []struct {
		name   string
		mod    func(*Params)
		rehash bool
	}{
		{"same", func(*Params) {}, false},
		{"less memory", func(p *Params) { p.Memory = 32 }, true},
		{"fewer passes", func(p *Params) { p.Time = 1 }, true},
		{"shorter salt", func(p *Params) { p.SaltLen = 8 }, true},
		{"shorter key", func(p *Params) { p.KeyLen = 16 }, true},
		{"stronger than hasher", func(p *Params) { p.Memory = 128; p.Time = 3 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.mod(&p)
			enc, err := NewHasher(p, 1).Hash(ctx, "some password")
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := current.Verify(ctx, enc, "some password")
			if !ok || err != nil || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
			// A wrong password never asks for a rehash.
			if _, rehash, _ := current.Verify(ctx, enc, "other password"); rehash {
				t.Fatal("needsRehash on a wrong password")
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap(), 1)
	good, err := h.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$") // "", alg, v, params, salt, hash
	join := func(alg, v, params, salt, hash string) string {
		return strings.Join([]string{"", alg, v, params, salt, hash}, "$")
	}
	salt, hash := f[4], f[5]
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"missing hash", strings.Join([]string{"", "argon2id", "v=19", "m=64,t=1,p=1", salt}, "$")},
		{"empty hash", join("argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
		{"extra field", good + "$abc"},
		{"argon2i", join("argon2i", "v=19", "m=64,t=1,p=1", salt, hash)},
		{"version 16", join("argon2id", "v=16", "m=64,t=1,p=1", salt, hash)},
		{"version missing", join("argon2id", "m=64,t=1,p=1", salt, hash, "")},
		{"params reordered", join("argon2id", "v=19", "t=1,m=64,p=1", salt, hash)},
		{"param missing", join("argon2id", "v=19", "m=64,t=1", salt, hash)},
		{"param extra", join("argon2id", "v=19", "m=64,t=1,p=1,k=1", salt, hash)},
		{"param not a number", join("argon2id", "v=19", "m=x,t=1,p=1", salt, hash)},
		{"param negative", join("argon2id", "v=19", "m=-64,t=1,p=1", salt, hash)},
		{"param plus", join("argon2id", "v=19", "m=+64,t=1,p=1", salt, hash)},
		{"param leading zero", join("argon2id", "v=19", "m=064,t=1,p=1", salt, hash)},
		{"param empty", join("argon2id", "v=19", "m=,t=1,p=1", salt, hash)},
		{"param space", join("argon2id", "v=19", "m= 64,t=1,p=1", salt, hash)},
		{"memory overflows uint32", join("argon2id", "v=19", "m=4294967296,t=1,p=1", salt, hash)},
		{"memory 4 GiB", join("argon2id", "v=19", "m=4194304,t=1,p=1", salt, hash)},
		{"time zero", join("argon2id", "v=19", "m=64,t=0,p=1", salt, hash)},
		{"time absurd", join("argon2id", "v=19", "m=64,t=1000,p=1", salt, hash)},
		{"threads zero", join("argon2id", "v=19", "m=64,t=1,p=0", salt, hash)},
		{"threads overflow uint8", join("argon2id", "v=19", "m=64,t=1,p=256", salt, hash)},
		{"memory below 8 per lane", join("argon2id", "v=19", "m=64,t=1,p=9", salt, hash)},
		{"salt not base64", join("argon2id", "v=19", "m=64,t=1,p=1", "!!!!"+salt[4:], hash)},
		{"salt padded", join("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", hash)},
		{"salt too short", join("argon2id", "v=19", "m=64,t=1,p=1", "AAAAAA", hash)},
		{"hash too short", join("argon2id", "v=19", "m=64,t=1,p=1", salt, "AAAAAAAAAAAAAAAAAAAA")},
		// The last of 43 characters holds 2 padding bits; strict decoding
		// refuses them set instead of ignoring a tampered character.
		{"hash trailing bits", join("argon2id", "v=19", "m=64,t=1,p=1", salt, hash[:42]+"B")},
		{"huge row", good + strings.Repeat("A", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "hash trailing bits" && hash[42] == 'B' {
				t.Skip("random hash already ends in B")
			}
			ok, rehash, err := h.Verify(ctx, tt.enc, "pw")
			if !errors.Is(err, ErrMalformedHash) || ok || rehash {
				t.Fatalf("Verify(%.80q) = %v, %v, %v; want ErrMalformedHash", tt.enc, ok, rehash, err)
			}
		})
	}
}

func TestVerifyTamperedHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap(), 1)
	enc, err := h.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	// Change one character in the middle of the salt and of the hash: still
	// well formed, so no error, but it must not match.
	for _, i := range []int{len(enc) - 50, len(enc) - 10} {
		b := []byte(enc)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		ok, _, err := h.Verify(ctx, string(b), "pw")
		if ok || err != nil {
			t.Errorf("tampered at %d: Verify = %v, %v; want false, nil", i, ok, err)
		}
	}
}

// counting wraps a Hasher's derive to record how many run at once.
type counting struct {
	mu        sync.Mutex
	now, peak int
	calls     []Params
	hold      time.Duration
}

func (c *counting) install(h *Hasher) {
	real := h.derive
	h.derive = func(pw, salt []byte, p Params) []byte {
		c.mu.Lock()
		c.now++
		c.peak = max(c.peak, c.now)
		c.calls = append(c.calls, p)
		c.mu.Unlock()
		time.Sleep(c.hold)
		defer func() { c.mu.Lock(); c.now--; c.mu.Unlock() }()
		return real(pw, salt, p)
	}
}

func TestConcurrencyBound(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, 3} {
		h := NewHasher(cheap(), n)
		c := &counting{hold: 20 * time.Millisecond}
		c.install(h)
		enc, err := h.Hash(ctx, "pw")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var failures atomic.Int32
		for i := range 12 {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					_, err = h.Hash(ctx, "pw")
				} else {
					_, _, err = h.Verify(ctx, enc, "pw")
				}
				if err != nil {
					failures.Add(1)
				}
			})
		}
		wg.Wait()
		if failures.Load() != 0 {
			t.Fatalf("n=%d: %d calls failed", n, failures.Load())
		}
		// 12 calls holding 20 ms each all start together, so every slot
		// fills: the peak shows both the bound and that it is reached.
		if c.peak != n {
			t.Errorf("n=%d: peak concurrent hashes = %d, want %d", n, c.peak, n)
		}
	}
}

func TestContextWhileSlotHeld(t *testing.T) {
	h := NewHasher(cheap(), 1)
	c := &counting{}
	c.install(h)
	enc := h.dummy
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(cancelled, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with cancelled ctx: err = %v, want context.Canceled", err)
	}
	if _, _, err := h.Verify(cancelled, enc, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with cancelled ctx: err = %v, want context.Canceled", err)
	}
	if err := h.VerifyDummy(cancelled, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyDummy with cancelled ctx: err = %v, want context.Canceled", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	start := time.Now()
	if _, err := h.Hash(short, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash waiting past deadline: err = %v, want DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited < 15*time.Millisecond {
		t.Errorf("Hash returned after %v, before the deadline: it did not wait", waited)
	}
	if len(c.calls) != 0 {
		t.Fatalf("%d hashes ran while the only slot was held", len(c.calls))
	}

	release()
	if _, err := h.Hash(context.Background(), "pw"); err != nil {
		t.Fatalf("Hash after release: %v", err)
	}
}

func TestCancelledContextNeverStarts(t *testing.T) {
	h := NewHasher(cheap(), 4)
	c := &counting{}
	c.install(h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With free slots, select alone would pick at random; a done context
	// must still never start work.
	for range 20 {
		if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
	if len(c.calls) != 0 {
		t.Fatalf("%d hashes ran with a cancelled context", len(c.calls))
	}
}

func TestVerifyDummy(t *testing.T) {
	p := cheap()
	p.Time = 3
	h := NewHasher(p, 1)
	c := &counting{}
	c.install(h)
	if err := h.VerifyDummy(context.Background(), "anything"); err != nil {
		t.Fatal(err)
	}
	// Same work as a real Verify: one derivation with the Hasher's own
	// parameters.
	if len(c.calls) != 1 || c.calls[0] != p {
		t.Fatalf("derivations = %+v, want one with %+v", c.calls, p)
	}
	if ok, _, err := h.Verify(context.Background(), h.dummy, dummyPassword); !ok || err != nil {
		t.Fatalf("dummy hash does not verify: %v, %v", ok, err)
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams(), 1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := NewHasher(DefaultParams(), 1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, enc, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// TestOwnerLimits: with the only slot held, a session's hashes beyond its
// limit are refused at once with ErrBusy; a host's beyond its limit wait
// in their own line, never more than PerHost of them in the pool's queue,
// and all finish once the slot is free; every count returns to zero.
func TestOwnerLimits(t *testing.T) {
	tests := []struct {
		name        string
		owner       func(i int) (session, host string)
		refused     int // at once, with ErrBusy
		hostQueued  int // of host 192.0.2.1, in the pool's queue while the slot is held
		checkedHost bool
	}{
		{"one session", func(int) (string, string) { return "s1", "192.0.2.1" }, 9, 1, true},
		{"one host, many sessions", func(i int) (string, string) { return fmt.Sprint("s", i), "192.0.2.1" }, 0, 4, true},
		{"many hosts, one session each", func(i int) (string, string) { return fmt.Sprint("s", i), fmt.Sprint("192.0.2.", i) }, 0, 1, true},
		{"session only", func(int) (string, string) { return "s1", "" }, 9, 0, false},
		{"host only", func(int) (string, string) { return "", "192.0.2.1" }, 0, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHasherLimits(cheap(), 1, Limits{PerSession: 1, PerHost: 4, QueueTimeout: time.Minute})
			release, err := h.acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// The deadline only ends a wait that should never have begun.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			const n = 10
			errs := make(chan error, n)
			for i := range n {
				session, host := tt.owner(i)
				go func() {
					errs <- h.VerifyDummy(WithHashOwner(ctx, session, host), "pw")
				}()
			}
			// The refused ones answer while the slot is still held: they
			// never queue.
			for range tt.refused {
				if err := <-errs; !errors.Is(err, ErrBusy) {
					t.Fatalf("err = %v, want ErrBusy", err)
				}
			}
			if tt.checkedHost {
				// The host's hashes take their places in the pool's
				// queue as they arrive; wait for as many as it may have,
				// then none more may come while the slot is held.
				deadline := time.Now().Add(5 * time.Second)
				q := 0
				for ; q < tt.hostQueued && time.Now().Before(deadline); runtime.Gosched() {
					_, q = h.inPool("", "192.0.2.1")
				}
				for range 1000 {
					runtime.Gosched()
				}
				if _, q = h.inPool("", "192.0.2.1"); q != tt.hostQueued {
					t.Fatalf("host 192.0.2.1 has %d hashes in the pool's queue, want %d", q, tt.hostQueued)
				}
			}
			release()
			for range n - tt.refused {
				if err := <-errs; err != nil {
					t.Fatalf("admitted hash: %v", err)
				}
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.sessions) != 0 || len(h.hosts) != 0 {
				t.Fatalf("counts left behind: sessions %v, hosts %v", h.sessions, h.hosts)
			}
		})
	}
}

// TestQueueTimeout: an owned hash that finds no slot within the queue
// timeout gets ErrBusy and runs nothing; one without an owner keeps
// waiting on its own context, as before.
func TestQueueTimeout(t *testing.T) {
	h := NewHasherLimits(cheap(), 1, Limits{PerSession: 1, PerHost: 4, QueueTimeout: 50 * time.Millisecond})
	c := &counting{}
	c.install(h)
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	start := time.Now()
	backstop, cancelBackstop := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelBackstop()
	_, err = h.Hash(WithHashOwner(backstop, "s1", "192.0.2.1"), "pw")
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash waiting past the queue timeout: err = %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Errorf("ErrBusy after %v, before the 50 ms queue timeout", waited)
	}
	if s, hs := h.inPool("s1", "192.0.2.1"); s != 0 || hs != 0 {
		t.Errorf("after the timeout the owner still counts %d/%d hashes", s, hs)
	}
	// Without an owner, only the caller's context ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ownerless Hash: err = %v, want DeadlineExceeded (no queue timeout)", err)
	}
	if len(c.calls) != 0 {
		t.Fatalf("%d hashes ran while the only slot was held", len(c.calls))
	}
}

// TestHammeringHostWaitsItsTurn: sixteen sessions of one host try to log
// in as fast as they can through a one-slot pool. Another host's log in,
// arriving in the middle, waits for at most the hammering host's share of
// the queue (PerHost hashes), not for everything it keeps sending.
func TestHammeringHostWaitsItsTurn(t *testing.T) {
	const perHost = 4
	h := NewHasherLimits(cheap(), 1, Limits{PerSession: 1, PerHost: perHost, QueueTimeout: time.Minute})
	var (
		mu        sync.Mutex
		hammered  int // hashes of the hammering host that have started
		atOther   = -1
		peakHost  int
		otherDone = make(chan struct{})
	)
	real := h.derive
	h.derive = func(pw, salt []byte, p Params) []byte {
		mu.Lock()
		if string(pw) == "other" {
			atOther = hammered
		} else {
			hammered++
		}
		_, n := h.inPool("", "198.51.100.7")
		peakHost = max(peakHost, n)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // long enough for the queue to fill behind it
		return real(pw, salt, p)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 16 {
		ctx := WithHashOwner(context.Background(), fmt.Sprint("hammer-", i), "198.51.100.7")
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := h.VerifyDummy(ctx, "hammer"); err != nil && !errors.Is(err, ErrBusy) {
					t.Error(err)
					return
				}
				runtime.Gosched()
			}
		})
	}
	// Let the hammering fill the queue, then arrive.
	for {
		mu.Lock()
		n := hammered
		mu.Unlock()
		if n >= 2*perHost {
			break
		}
		runtime.Gosched()
	}
	mu.Lock()
	before := hammered
	mu.Unlock()
	go func() {
		defer close(otherDone)
		if err := h.VerifyDummy(WithHashOwner(context.Background(), "other", "203.0.113.9"), "other"); err != nil {
			t.Error(err)
		}
	}()
	<-otherDone
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	// At most perHost of the hammering host's hashes were queued or
	// running when the other arrived; all it sends later queues behind.
	if ahead := atOther - before; ahead > perHost {
		t.Errorf("the other host waited behind %d hashes of the hammering host, want at most %d", ahead, perHost)
	}
	if peakHost > perHost {
		t.Errorf("the hammering host had %d hashes in the pool, limit %d", peakHost, perHost)
	}
}

// TestHoldCoversTheHashesAfter: the places Hold takes serve the hashes on
// its context (a session limited to one still verifies and rehashes), a
// second Hold by the same session is refused while the first holds, the
// hold keeps no slot of the pool between its hashes, and release gives
// the places back.
func TestHoldCoversTheHashesAfter(t *testing.T) {
	h := NewHasherLimits(cheap(), 1, Limits{PerSession: 1, PerHost: 4, QueueTimeout: time.Minute})
	owned := WithHashOwner(context.Background(), "s1", "192.0.2.1")
	held, release, err := h.Hold(owned)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(held, "pw")
	if err != nil {
		t.Fatalf("hash on the held slot: %v", err)
	}
	if ok, _, err := h.Verify(held, enc, "pw"); err != nil || !ok {
		t.Fatalf("verify on the held slot: %v %v", ok, err)
	}
	if _, _, err := h.Hold(owned); !errors.Is(err, ErrBusy) {
		t.Fatalf("a second hold by the same session: %v, want ErrBusy", err)
	}
	// A hold keeps no slot of the pool (of one here) while its owner
	// does other work: another owner's hash runs at once.
	quick, cancel := context.WithTimeout(WithHashOwner(context.Background(), "s2", "192.0.2.2"), 5*time.Second)
	defer cancel()
	if _, err := h.Hash(quick, "pw"); err != nil {
		t.Fatalf("another owner's hash while a hold is kept: %v", err)
	}
	other := NewHasherLimits(cheap(), 1, DefaultLimits())
	if _, err := other.Hash(held, "pw"); err != nil {
		t.Fatalf("another hasher on a context held by this one: %v", err)
	}
	release()
	if s, hst := h.inPool("s1", "192.0.2.1"); s != 0 || hst != 0 {
		t.Fatalf("after release: %d session, %d host hashes in the pool", s, hst)
	}
	if _, err := h.Hash(owned, "pw"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}
