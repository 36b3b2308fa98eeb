package auth_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/auth"
)

// hashStorm is how many goroutines hash at once in BenchmarkHashUnderLimit:
// a login storm well past the 50 logins at once DESIGN targets.
const hashStorm = 64

// BenchmarkHashUnderLimit is DESIGN's "memory bounded by the hashing
// limit": hashStorm goroutines each hash one password with the production
// parameters through one Hasher. Each hash holds m KiB (DefaultParams) while
// it runs, so with the production limit (one hash per core) the heap in use
// must stay near limit × m however many wait, where without a limit it
// would grow to hashStorm × m. Per iteration, one storm; it reports
// hashes/s, the p50/p99 of each hash's wait plus hash, and the peak of
// HeapInuse above its level before the storm (sampled every 5 ms), also in
// units of one hash's argon2 memory, to read against the limit.
//
// The "limit=goroutines" case hashes all at once, as a Hasher without a
// bound would: the contrast that shows what the limit saves. It holds
// hashStorm × m (1.2 GiB with DefaultParams) for a moment; filter it out
// with -bench 'BenchmarkHashUnderLimit/limit=NumCPU' on a small machine.
func BenchmarkHashUnderLimit(b *testing.B) {
	for _, tc := range []struct {
		name  string
		limit int
	}{
		{"limit=NumCPU", runtime.NumCPU()},
		{"limit=goroutines", hashStorm},
	} {
		b.Run(tc.name, func(b *testing.B) { benchHashStorm(b, tc.limit) })
	}
}

func benchHashStorm(b *testing.B, limit int) {
	p := auth.DefaultParams()
	h := auth.NewHasher(p, limit)
	ctx := context.Background()
	hashBytes := float64(p.Memory) * 1024
	var all []time.Duration
	var peak uint64
	var busy time.Duration // the storms only, not the GC between them
	for b.Loop() {
		b.StopTimer()
		// Start each storm from a collected heap, so the peak is the
		// storm's and not the garbage of the one before.
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		stopSampling := sampleHeap(base.HeapInuse)
		b.StartTimer()

		start := make(chan struct{})
		lat := make([]time.Duration, hashStorm)
		var failed atomic.Int32
		var wg sync.WaitGroup
		for i := range hashStorm {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				t := time.Now()
				// Distinct passwords: identical work, but no way for anything
				// to share it.
				if _, err := h.Hash(ctx, fmt.Sprintf("correct horse battery staple %d", i)); err != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(t)
			}()
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		busy += time.Since(t0)

		b.StopTimer()
		peak = max(peak, stopSampling())
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d hashes failed", n)
		}
		all = append(all, lat...)
		b.StartTimer()
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/busy.Seconds(), "hashes/s")
	b.ReportMetric(ms(percentile(all, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(all, 99)), "p99-ms")
	b.ReportMetric(ms(all[len(all)-1]), "max-ms")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peak)/hashBytes, "peak-heap/hash-mem")
	b.ReportMetric(float64(limit), "limit")
	b.ReportMetric(float64(p.Memory)/1024, "hash-mem-MiB")
}

// sampleHeap samples HeapInuse every 5 ms until the function it returns is
// called, which returns the largest excess over base it saw (including a
// last sample taken then).
func sampleHeap(base uint64) (stop func() uint64) {
	var peak atomic.Uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
			peak.Store(m.HeapInuse - base)
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		sample()
		return peak.Load()
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, pct int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*pct + 99) / 100 // ceil(n*pct/100), the nearest rank
	return sorted[max(i, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
