package portal_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/store/dbtest"
	"github.com/clientportal/portal/internal/text"
)

// BenchmarkLoginsAtOnce is DESIGN's "50 logins at once complete, p99 < 2 s,
// memory bounded by the hashing limit": 50 clients log in at the same
// moment, each from its own address, with the production argon2id
// parameters and the production hashing limit (one hash per core). It
// reports the latencies and the peak heap while they run.
func BenchmarkLoginsAtOnce(b *testing.B) {
	const n = 50
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	cat, err := text.Load()
	if err != nil {
		b.Fatal(err)
	}
	svc := portal.New(st, auth.NewHasher(auth.DefaultParams(), runtime.NumCPU()), cat, portal.Config{PublicAddr: "portal.example.com:2222"})
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("c%02d@example.com", i)
		if _, err := svc.AddClient(ctx, portal.System("bench"), portal.NewClient{Email: email, Name: fmt.Sprintf("Client %d", i)}); err != nil {
			b.Fatal(err)
		}
		mails, _ := st.ListMail(ctx, vocab.OutboxQuery{Limit: 1})
		token := portaltest.TokenIn(b, mails[0].Body)
		if _, err := svc.AcceptInvitation(ctx, portal.Guest("10.9.0.1:1", "setup"), token, portaltest.StrongPassword, portaltest.StrongPassword); err != nil {
			b.Fatal(err)
		}
	}
	var all latencies
	var peak atomic.Uint64
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > base.HeapInuse {
					if d := m.HeapInuse - base.HeapInuse; d > peak.Load() {
						peak.Store(d)
					}
				}
			}
		}()
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				t := time.Now()
				_, err := svc.LogIn(ctx, portal.Guest(fmt.Sprintf("10.8.%d.%d:1", it, i), fmt.Sprintf("s%d-%d", it, i)), fmt.Sprintf("c%02d@example.com", i), portaltest.StrongPassword)
				d := time.Since(t)
				if err != nil {
					b.Errorf("log in %d: %v", i, err)
				}
				mu.Lock()
				all = append(all, d)
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		close(stop)
		<-sampled
	}
	b.StopTimer()
	all.report(b)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
