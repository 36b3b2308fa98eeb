package portal_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
)

// TestFailedActionsLogNoPersonalData: when an action fails for a reason
// that is not the person's (the database refuses its write), the error the
// door logs says what failed without a client's email or name (SECURITY.md,
// "personal data in logs"). The audit table is dropped so that each action
// gets as far as its last write, past every lookup, before it fails.
func TestFailedActionsLogNoPersonalData(t *testing.T) {
	ctx := context.Background()
	env := portaltest.New(t, portaltest.RoomyQuotas())
	if err := env.Service.SetSignUpMode(ctx, env.Admin(), vocab.SignUpApproval); err != nil {
		t.Fatal(err)
	}
	active := env.AddActiveClient(t, "ada.lovelace@example.com", "Ada Lovelace")
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "grace.hopper@example.com", Name: "Grace Hopper"}); err != nil {
		t.Fatal(err)
	}
	off := env.AddActiveClient(t, "emmy.noether@example.com", "Emmy Noether")
	if err := env.Service.DisableClient(ctx, env.Admin(), "emmy.noether@example.com"); err != nil {
		t.Fatal(err)
	}
	rt := env.AddRequestType(t, "Contract review", "Subject: text, required")
	guest := portal.Guest("192.0.2.9:4000", "log-test")
	dropAuditTable(t, env)
	personal := []string{"ada.lovelace", "Ada Lovelace", "grace.hopper", "Grace Hopper", "emmy.noether", "Emmy Noether", "katherine.johnson", "Katherine Johnson"}

	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"log in", func() error {
			_, err := env.Service.LogIn(ctx, guest, "ada.lovelace@example.com", portaltest.StrongPassword)
			return err
		}},
		{"wrong password", func() error {
			_, err := env.Service.LogIn(ctx, guest, "ada.lovelace@example.com", "not the password at all")
			return err
		}},
		{"add client", func() error {
			_, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "katherine.johnson@example.com", Name: "Katherine Johnson"})
			return err
		}},
		{"resend invitation", func() error { return env.Service.ResendInvitation(ctx, env.Admin(), "grace.hopper@example.com") }},
		{"disable", func() error { return env.Service.DisableClient(ctx, env.Admin(), "ada.lovelace@example.com") }},
		{"enable", func() error { return env.Service.EnableClient(ctx, env.Admin(), off.Email) }},
		{"end sessions", func() error {
			_, err := env.Service.EndSessions(ctx, env.Admin(), "ada.lovelace@example.com")
			return err
		}},
		{"request reset", func() error { return env.Service.RequestReset(ctx, guest, "ada.lovelace@example.com") }},
		{"sign up", func() error {
			_, err := env.Service.SignUp(ctx, guest, portal.SignUpInput{
				Profile:  portal.Profile{Email: "katherine.johnson@example.com", Name: "Katherine Johnson"},
				Password: portaltest.StrongPassword, Repeat: portaltest.StrongPassword,
			})
			return err
		}},
		{"language", func() error {
			_, err := env.Service.SetLanguage(ctx, portaltest.ClientActor(active), "fr")
			return err
		}},
		{"submit request", func() error {
			_, err := env.Service.SubmitRequest(ctx, portaltest.ClientActor(active), rt.ID, []string{"The lease"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil {
				t.Fatal("the action went through without its audit table")
			}
			if refusal := (*portal.Error)(nil); errors.As(err, &refusal) {
				t.Fatalf("refused as the person's mistake: %v", err)
			}
			for _, p := range personal {
				if strings.Contains(err.Error(), p) {
					t.Errorf("the error names %q: %v", p, err)
				}
			}
		})
	}
}

// dropAuditTable drops the audit table of env's database from a connection
// of its own.
func dropAuditTable(t *testing.T, env *portaltest.Env) {
	t.Helper()
	driver := "sqlite" // env.DSN is the file's path
	if env.Store.Dialect() == "postgres" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE audit_events"); err != nil {
		t.Fatal(err)
	}
}
