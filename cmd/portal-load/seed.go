package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/config"
	"github.com/clientportal/portal/internal/loadtest"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// loginPassword is every seeded client's password.
const loginPassword = "load test horse battery 42"

// seedClients adds n active clients to the SQLite database in dataDir the
// way a real one becomes active (invited, then the invitation accepted
// with a password, hashed with the production parameters), and returns
// the log in script of each.
func seedClients(ctx context.Context, dataDir string, n int) ([]loadtest.Login, error) {
	if err := config.DirWritable(dataDir); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dataDir, "portal.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	cat, err := text.Load()
	if err != nil {
		return nil, err
	}
	svc := portal.New(st, auth.NewHasher(auth.DefaultParams(), runtime.NumCPU()), cat, portal.Config{PublicAddr: "127.0.0.1:2222"})
	logins := make([]loadtest.Login, n)
	for i := range n {
		email, name := fmt.Sprintf("load%04d@example.com", i), fmt.Sprintf("Load Client %d", i)
		if _, err := svc.AddClient(ctx, portal.System("portal-load"), portal.NewClient{Email: email, Name: name}); err != nil {
			return nil, fmt.Errorf("add client %q: %w", email, err)
		}
		mails, err := st.ListMail(ctx, vocab.OutboxQuery{Limit: 1})
		if err != nil || len(mails) == 0 {
			return nil, fmt.Errorf("invitation of %q: %v", email, err)
		}
		token, ok := inviteToken(mails[0].Body)
		if !ok {
			return nil, fmt.Errorf("no invitation token in the mail to %q", email)
		}
		// Each from its own address: acceptances count against the
		// per-address limit.
		guest := portal.Guest(fmt.Sprintf("127.0.%d.%d:1", 200+i/250, 1+i%250), "portal-load")
		if _, err := svc.AcceptInvitation(ctx, guest, token, loginPassword, loginPassword); err != nil {
			return nil, fmt.Errorf("accept the invitation of %q: %w", email, err)
		}
		logins[i] = loadtest.Login{Open: "l", Form: "Log in with the email", Email: email, Password: loginPassword, Home: "Hello, " + name}
	}
	return logins, nil
}

// inviteToken finds TOKEN in the invite-TOKEN@HOST user name an
// invitation carries.
func inviteToken(body string) (string, bool) {
	_, rest, ok := strings.Cut(body, "invite-")
	if !ok {
		return "", false
	}
	token, _, ok := strings.Cut(rest, "@")
	if !ok || token == "" {
		return "", false
	}
	return token, true
}
