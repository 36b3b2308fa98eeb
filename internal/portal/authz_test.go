package portal_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
)

// TestCanMatchesTheActions runs, for each role, one action of each kind
// and checks that it is refused with ErrForbidden exactly when Can says
// the role may not do it: the console's keys and the domain's refusals
// read one table.
func TestCanMatchesTheActions(t *testing.T) {
	ctx := context.Background()
	// Each run only has to get past the authorization: what it does after
	// (a missing client, a bad input) is some other refusal, never
	// ErrForbidden.
	runs := map[portal.Action]func(svc *portal.Service, a portal.Actor) error{
		portal.ActStaffWork: func(svc *portal.Service, a portal.Actor) error {
			_, err := svc.ListClients(ctx, a, vocab.ClientQuery{})
			return err
		},
		portal.ActAddClient: func(svc *portal.Service, a portal.Actor) error {
			_, err := svc.AddClient(ctx, a, portal.NewClient{})
			return err
		},
		portal.ActImportClients: func(svc *portal.Service, a portal.Actor) error {
			_, err := svc.ImportClients(ctx, a, strings.NewReader(""), portal.ImportOptions{})
			return err
		},
		portal.ActDisableClient: func(svc *portal.Service, a portal.Actor) error {
			return svc.DisableClient(ctx, a, "nobody@x.com")
		},
		portal.ActEnableClient: func(svc *portal.Service, a portal.Actor) error {
			return svc.EnableClient(ctx, a, "nobody@x.com")
		},
		portal.ActEditRequestTypes: func(svc *portal.Service, a portal.Actor) error {
			return svc.SetRequestTypeDisabled(ctx, a, 999, true)
		},
		portal.ActChangeSettings: func(svc *portal.Service, a portal.Actor) error {
			return svc.SetSignUpMode(ctx, a, "bogus")
		},
		portal.ActManageStaff: func(svc *portal.Service, a portal.Actor) error {
			_, err := svc.ListStaff(ctx, a)
			return err
		},
		// Without the right the audit narrows instead of refusing: a
		// support actor's listing holds no other actor's events.
		portal.ActReadFullAudit: func(svc *portal.Service, a portal.Actor) error {
			events, err := svc.ListAudit(ctx, a, vocab.AuditQuery{Limit: 1000})
			if err != nil {
				return err
			}
			for _, e := range events {
				if e.Actor != a.Name {
					return nil
				}
			}
			return portal.ErrForbidden
		},
	}
	env := portaltest.New(t)
	// Someone else's audit event, for ActReadFullAudit to find or miss.
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	actors := map[string]portal.Actor{
		"admin":   portal.StaffActor(&portal.StaffMember{Name: "ada", Role: vocab.RoleAdmin}, "10.0.0.1:1"),
		"support": portal.StaffActor(&portal.StaffMember{Name: "sam", Role: vocab.RoleSupport}, "10.0.0.2:1"),
		"client":  portaltest.ClientActor(&portal.Client{ID: 1, EmailNorm: "ann@x.com"}),
		"guest":   guest("10.0.0.3:1"),
	}
	for _, act := range portal.Actions() {
		run, ok := runs[act]
		if !ok {
			t.Errorf("no run for action %s", act)
			continue
		}
		for name, a := range actors {
			t.Run(string(act)+"/"+name, func(t *testing.T) {
				can := portal.Can(a, act)
				err := run(env.Service, a)
				if refused := errors.Is(err, portal.ErrForbidden); refused == can {
					t.Fatalf("Can says %v, the action answered %v", can, err)
				}
			})
		}
	}
}

// TestRefusalsMatchTheirSentinels: a refusal made anywhere with a
// sentinel's key is that sentinel for errors.Is, wrapped or not.
func TestRefusalsMatchTheirSentinels(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"the sentinel", portal.ErrForbidden, portal.ErrForbidden, true},
		{"wrapped", errors.Join(errors.New("context"), portal.ErrForbidden), portal.ErrForbidden, true},
		{"a refusal of the same key", &portal.Error{Key: "error.forbidden", Field: portal.FieldEmail}, portal.ErrForbidden, true},
		{"another key", &portal.Error{Key: "error.login.failed"}, portal.ErrForbidden, false},
		{"awaiting approval", &portal.Error{Key: portal.KeyAwaitingApproval}, portal.ErrAwaitingApproval, true},
		{"a target naming another field", &portal.Error{Key: "k", Field: "a"}, &portal.Error{Key: "k", Field: "b"}, false},
		{"not a refusal", errors.New("disk"), portal.ErrForbidden, false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is = %v, want %v", tt.name, got, tt.want)
		}
	}
}
