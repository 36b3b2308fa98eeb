package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// TestEmailsInOneForm: an address is stored (Email and EmailNorm),
// compared and mailed in one normalized form, so a lookalike typed at sign
// up, add or log in is the same address, and mail never goes to a form
// other than the one the account is known by.
func TestEmailsInOneForm(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	tests := []struct {
		name, typed, want string
	}{
		{"Kelvin sign", "\u212aate@example.com", "kate@example.com"},
		{"fullwidth letters", "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "jane@example.com"},
		{"mixed case and spaces", "  Bob.Stone@Example.ORG ", "bob.stone@example.org"},
		{"IDN domain", "Taro@山田.JP", "taro@山田.jp"},
		{"decomposed accent in the domain", "lea@e\u0301cole.fr", "lea@école.fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: tt.typed, Name: "Someone"})
			if err != nil {
				t.Fatal(err)
			}
			stored, err := env.Store.ClientByEmail(ctx, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if c.Email != tt.want || stored.Email != tt.want || stored.EmailNorm != tt.want {
				t.Fatalf("stored Email %+q, EmailNorm %+q; want both %+q", stored.Email, stored.EmailNorm, tt.want)
			}
			mails := env.Mails(t, tt.want)
			if len(mails) != 1 || mails[0].ToAddr != tt.want {
				t.Fatalf("mails %+v, want one invitation to %+q", mails, tt.want)
			}
			// The plain form and the lookalike are one address.
			for _, again := range []string{tt.want, tt.typed, strings.ToUpper(tt.want)} {
				_, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: again, Name: "Other"})
				if refusalKey(t, err) != "error.client.exists" {
					t.Errorf("adding %+q again: %v, want error.client.exists", again, err)
				}
			}
		})
	}
}

// TestEmailLocalPartOutsideASCII: refused with a message that says what
// to type, in English and French, whichever flow it is typed in.
func TestEmailLocalPartOutsideASCII(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	cat, err := text.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{"zoë@example.com", "j\u0430ne@example.com", "山田@example.jp"} {
		_, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: typed, Name: "Zoë"})
		if refusalKey(t, err) != "error.email.local_ascii" || portal.FieldOf(err) != portal.FieldEmail {
			t.Fatalf("AddClient(%+q): %v, want error.email.local_ascii on the email", typed, err)
		}
		if msg := portal.Message(cat.Printer(text.English), err); !strings.Contains(msg, "before the @") {
			t.Errorf("English message %q", msg)
		}
		if msg := portal.Message(cat.Printer(text.French), err); !strings.Contains(msg, "Avant le @") {
			t.Errorf("French message %q", msg)
		}
		_, err = env.Service.LogIn(ctx, guest("192.0.2.9:1"), typed, strong)
		if refusalKey(t, err) != "error.email.local_ascii" {
			t.Errorf("LogIn(%+q): %v, want error.email.local_ascii", typed, err)
		}
	}
	if n, _ := env.Store.CountClients(ctx, ""); n != 0 {
		t.Fatalf("refused addresses created %d clients", n)
	}
}

// TestOldLookalikeRowIsMailedAtItsKey: a row stored before the one form,
// with a Kelvin sign in Email and the plain k in EmailNorm (what
// strings.ToLower made), is found by the plain address and mailed there,
// not at the lookalike.
func TestOldLookalikeRowIsMailedAtItsKey(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	old := &store.Client{Email: "\u212aate@old.example", Name: "Kate", Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now}
	if err := env.Store.CreateClient(ctx, old); err != nil {
		t.Fatal(err)
	}
	if old.EmailNorm != "kate@old.example" {
		t.Fatalf("EmailNorm = %+q", old.EmailNorm)
	}
	if err := env.Service.ResendInvitation(ctx, env.Admin(), "kate@old.example"); err != nil {
		t.Fatal(err)
	}
	mails := env.Mails(t, "kate@old.example")
	if len(mails) != 1 || mails[0].ToAddr != "kate@old.example" {
		t.Fatalf("mails %+v, want one to kate@old.example", mails)
	}
}
