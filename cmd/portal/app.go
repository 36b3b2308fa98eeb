package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/config"
	"github.com/clientportal/portal/internal/mail"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// app is the portal's parts, opened on one configuration.
type app struct {
	store   *store.Store
	service *portal.Service
	worker  *mail.Worker
	sender  mail.Sender
}

// openApp opens the database (running migrations), the catalog and the
// mailer, and builds the service on them.
func openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	if err := config.DirWritable(cfg.Data); err != nil {
		return nil, fmt.Errorf("--data %s: not a writable directory: %w", cfg.Data, err)
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	catalog, err := text.Load()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	sender, err := newSender(cfg)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	a := &app{store: st, sender: sender}
	// The worker needs the service's queue and the service wakes the
	// worker: the closure breaks the cycle.
	a.service = portal.New(st, auth.NewHasher(auth.DefaultParams(), runtime.NumCPU()), catalog, portal.Config{
		PublicAddr: cfg.PublicAddr,
		InviteTTL:  cfg.InviteTTL,
		MailFrom:   cfg.MailFrom,
		TeamEmail:  cfg.TeamEmail,
		StaffUser:  vocab.StaffUser,
		ImportDir:  cfg.ImportDir,
	}, portal.WithLogger(log), portal.WithMailWake(func() { a.worker.Wake() }))
	a.worker = mail.NewWorker(a.service.MailQueue(), sender, log, mail.WorkerOptions{})
	return a, nil
}

func newSender(cfg *config.Config) (mail.Sender, error) {
	if cfg.SMTP != "" {
		s, err := mail.NewSMTPSender(cfg.SMTP)
		if err != nil {
			return nil, fmt.Errorf("--smtp: %w", err)
		}
		return s, nil
	}
	s, err := mail.NewDirSender(filepath.Join(cfg.Data, "mail"))
	if err != nil {
		return nil, fmt.Errorf("--data: mail directory: %w", err)
	}
	return s, nil
}

// Close ends what the mailer keeps open (an SMTP relay's idle
// connections), then the database.
func (a *app) Close() error {
	var senderErr error
	if c, ok := a.sender.(io.Closer); ok {
		senderErr = c.Close()
	}
	return errors.Join(senderErr, a.store.Close())
}
