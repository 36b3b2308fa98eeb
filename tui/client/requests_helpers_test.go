package client

import (
	"context"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
)

// newClockEnv is a portal whose clock starts at 2026-11-23 09:00 UTC.
func newClockEnv(t *testing.T, opts ...portal.Option) (*portaltest.Env, *portaltest.Clock) {
	t.Helper()
	clk := portaltest.NewClock()
	return portaltest.New(t, append([]portal.Option{portal.WithClock(clk.Now)}, opts...)...), clk
}

// staff is a member of the legal team acting in a test.
var staff = portal.System("staff")

// addTypes adds the two kinds of request the client tests file: Contract
// review (portaltest.ContractFields) and Document request.
func addTypes(t testing.TB, env *portaltest.Env) (contract, docs *portal.RequestType) {
	t.Helper()
	contract = env.AddRequestType(t, "Contract review", portaltest.ContractFields()...)
	docs = env.AddRequestType(t, "Document request", "Documents: multiline, required")
	return contract, docs
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// myRequests is every request of c, as the portal has them.
func myRequests(t *testing.T, env *portaltest.Env, c *portal.Client) []portal.Request {
	t.Helper()
	rs, err := env.Service.MyRequests(context.Background(), portaltest.ClientActor(c), "", nil, 500)
	must(t, err)
	return rs
}

// newLocaleHarness is newHarness for a client whose terminal sent locale.
func newLocaleHarness(t *testing.T, env *portaltest.Env, token, locale string) *harness {
	t.Helper()
	h := newHarnessWith(t, env, token, func(s *sessionOpts) { s.locale = locale })
	return h
}
