package client

import (
	"context"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
)

// TestRequestRefusedByQuotaSaysWhen: a client who sent the hour's requests
// fills in one more and sends it from the review: the form comes back
// with what was typed, saying why and when the next can be sent.
func TestRequestRefusedByQuotaSaysWhen(t *testing.T) {
	env, ann, h, f := atRequestForm(t)
	for i := 0; i < portal.MaxRequestsPerHour; i++ {
		_, err := env.Service.SubmitRequest(context.Background(), portaltest.ClientActor(ann), f.rt.ID,
			[]string{"Earlier", "", "", "Low"})
		must(t, err)
	}
	h.Fill("One too many")
	h.Press("tab", "tab", "h", "enter")
	if _, ok := h.m.cur.(*confirm); !ok {
		t.Fatalf("not on the confirm step:\n%s", h.View())
	}
	h.Press("enter")
	if _, ok := h.m.cur.(*requestForm); !ok {
		t.Fatalf("a refused request did not go back to its form:\n%s", h.View())
	}
	view := strings.Join(strings.Fields(h.View()), " ")
	for _, want := range []string{"One too many", "You have sent 10 requests in the last hour", "You can send the next one in 60 min."} {
		if !strings.Contains(view, want) {
			t.Fatalf("the form lacks %q:\n%s", want, h.View())
		}
	}
	if n := len(myRequests(t, env, ann)); n != portal.MaxRequestsPerHour {
		t.Fatalf("%d requests stored, want %d", n, portal.MaxRequestsPerHour)
	}
}
