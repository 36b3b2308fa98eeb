package client

import (
	"context"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/tui/uitest"
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

// submit files a request for c directly through the portal.
func submit(t *testing.T, env *portaltest.Env, c *portal.Client, rt *portal.RequestType, values ...string) *portal.Request {
	t.Helper()
	r, err := env.Service.SubmitRequest(context.Background(), portaltest.ClientActor(c), rt.ID, values)
	if err != nil {
		t.Fatal(err)
	}
	return r
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

// press sends keys named as keyMsg names them.
func (h *harness) press(names ...string) {
	h.t.Helper()
	for _, n := range names {
		h.Send(uitest.Key(n))
	}
}

// newLocaleHarness is newHarness for a client whose terminal sent locale.
func newLocaleHarness(t *testing.T, env *portaltest.Env, token, locale string) *harness {
	t.Helper()
	h := newHarnessWith(t, env, token, func(s *sessionOpts) { s.locale = locale })
	return h
}
