package portal_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store/dbtest"
)

// BenchmarkSignUpJourneysAtOnce: 50 clients at once each sign up, verify
// their email and log in, the steps spread over two instances on
// PostgreSQL (one on SQLite, which one process serves). Hashing is cheap
// here (portaltest's parameters): this measures the database's side, the
// transactions and, on PostgreSQL, the ones run again after a conflict.
//
//	go test -run '^$' -bench BenchmarkSignUpJourneysAtOnce -benchtime=5x ./internal/portal/
func BenchmarkSignUpJourneysAtOnce(b *testing.B) {
	const n = 50
	ctx := context.Background()
	a := portaltest.New(b)
	envs := []*portaltest.Env{a}
	if dbtest.Backend() == dbtest.Postgres {
		envs = append(envs, a.Another(b))
	}
	if err := a.Service.SetSignUpMode(ctx, a.Admin(), vocab.SignUpOn); err != nil {
		b.Fatal(err)
	}
	var all latencies
	retries := func() (r uint64) {
		for _, e := range envs {
			r += e.Store.TxRetries()
		}
		return r
	}
	before := retries()
	b.ResetTimer()
	for it := range b.N {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := fmt.Sprintf("c%d-%d@example.com", it, i)
				who := portal.Guest(fmt.Sprintf("10.%d.%d.1:1", it%250, i), fmt.Sprintf("s%d-%d", it, i))
				first, other := envs[i%len(envs)], envs[(i+1)%len(envs)]
				var l latencies
				l.time(func() {
					in := portal.SignUpInput{Profile: portal.Profile{Name: "Client", Email: email}, Password: strong, Repeat: strong}
					ticket, err := first.Service.SignUp(ctx, who, in)
					if err != nil {
						b.Error(err)
						return
					}
					code := portaltest.CodeIn(b, other.LastMail(b, email, portal.MailVerifyCode).Body)
					if _, err := other.Service.VerifyEmail(ctx, who, ticket, code); err != nil {
						b.Error(err)
						return
					}
					if _, err := first.Service.LogIn(ctx, who, email, strong); err != nil {
						b.Error(err)
					}
				})
				mu.Lock()
				all = append(all, l...)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	all.report(b)
	b.ReportMetric(float64(retries()-before)/float64(b.N*n), "retries/journey")
}
