package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

func (r *runner) clientsCmd() *cobra.Command {
	return r.group("clients", "cmd.clients.short",
		r.clientsListCmd(), r.clientsShowCmd(), r.clientsAddCmd(), r.clientsImportCmd(),
		r.clientsDisableCmd(), r.clientsEnableCmd(), r.clientsEndSessionsCmd())
}

// clientJSON is a client as `clients list --json` prints it. Every string
// is cleaned: a terminal shows JSON too, and encoding/json passes C1
// controls such as U+009B through as they are.
type clientJSON struct {
	Email       string  `json:"email"`
	Name        string  `json:"name"`
	Company     string  `json:"company"`
	Phone       string  `json:"phone"`
	Status      string  `json:"status"`
	Lang        string  `json:"lang"`
	CreatedAt   string  `json:"created_at"`
	LastLoginAt *string `json:"last_login_at"`
}

func toClientJSON(c *portal.Client) clientJSON {
	return clientJSON{
		Email:       text.Sanitize(c.Email),
		Name:        text.Sanitize(c.Name),
		Company:     text.Sanitize(c.Company),
		Phone:       text.Sanitize(c.Phone),
		Status:      text.Sanitize(c.Status),
		Lang:        text.Sanitize(c.Lang),
		CreatedAt:   stamp(c.CreatedAt),
		LastLoginAt: stampPtr(c.LastLoginAt),
	}
}

// clientSummaryJSON is a client of a listing: the client and the state of
// their newest invitation, null when they were never invited.
type clientSummaryJSON struct {
	clientJSON
	Invitation *string `json:"invitation"`
}

func toClientSummaryJSON(c *portal.ClientSummary) clientSummaryJSON {
	j := clientSummaryJSON{clientJSON: toClientJSON(&c.Client)}
	if c.Invitation != "" {
		inv := text.Sanitize(c.Invitation)
		j.Invitation = &inv
	}
	return j
}

// limitFlag reads --limit: 0 when not given (everything), an error when
// given and not positive.
func (r *runner) limitFlag(cmd *cobra.Command, limit int) (int, error) {
	if !cmd.Flags().Changed("limit") {
		return 0, nil
	}
	if limit < 1 {
		return 0, r.usage("cmd.error.limit")
	}
	return limit, nil
}

func (r *runner) clientsListCmd() *cobra.Command {
	var (
		asJSON                bool
		search, status, after string
		limit                 int
	)
	cmd := r.leaf("list [--json] [--search TEXT] [--status S] [--limit N] [--after EMAIL]",
		"cmd.clients.list.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
			total, err := r.limitFlag(cmd, limit)
			if err != nil {
				return err
			}
			// A status not in the list is a wrong command line (exit 2),
			// like any bad flag value.
			if statuses := vocab.ClientStatuses(); status != "" && !contains(statuses, status) {
				return r.usage("cmd.error.status", strings.Join(statuses, ", "))
			}
			return r.listClients(cmd, vocab.ClientQuery{
				Search: search, Status: status, After: after,
			}, total, asJSON)
		})
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	f.StringVar(&search, "search", "", r.p.T("cmd.flag.search"))
	f.StringVar(&status, "status", "", r.p.T("cmd.flag.status"))
	f.IntVar(&limit, "limit", 0, r.p.T("cmd.flag.limit"))
	f.StringVar(&after, "after", "", r.p.T("cmd.flag.after"))
	return cmd
}

// listClients writes the clients q selects, page by page: email, name,
// company, status and the state of the newest invitation.
func (r *runner) listClients(cmd *cobra.Command, q vocab.ClientQuery, total int, asJSON bool) error {
	err := pager[portal.ClientSummary, string]{
		fetch: func(ctx context.Context, after string, limit int) ([]portal.ClientSummary, error) {
			q.After, q.Limit = after, limit
			return r.svc.ClientsPage(ctx, r.actor, q)
		},
		next: func(last *portal.ClientSummary) string { return last.EmailNorm },
		json: func(c *portal.ClientSummary) any { return toClientSummaryJSON(c) },
		row: func(c *portal.ClientSummary) []string {
			inv := ""
			if c.Invitation != "" {
				inv = r.p.T("cmd.clients.invitation", c.Invitation)
			}
			return []string{c.Email, c.Name, c.Company, c.Status, inv}
		},
	}.write(cmd.Context(), r.out, q.After, total, asJSON)
	return r.failed(err, map[string]string{"status": "status"})
}

// addFields names the flag that feeds each form field, for error lines.
func addFields() map[string]string {
	return map[string]string{
		portal.FieldEmail: "email", portal.FieldName: "name",
		portal.FieldCompany: "company", portal.FieldPhone: "phone",
		portal.FieldLang: "lang",
	}
}

func (r *runner) clientsAddCmd() *cobra.Command {
	var in portal.NewClient
	var langs []string
	for _, l := range r.svc.Catalog().Langs() {
		langs = append(langs, string(l))
	}
	cmd := r.leaf("add --email E --name N [--company C] [--phone P] [--lang "+strings.Join(langs, "|")+"]",
		"cmd.clients.add.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
			if err := r.requireFlags(cmd, "email", "name"); err != nil {
				return err
			}
			// The portal takes "" for English; given on purpose, an empty
			// --lang is a mistake.
			if err := r.nonEmpty(cmd, "lang"); err != nil {
				return err
			}
			c, err := r.svc.AddClient(cmd.Context(), r.actor, in)
			if err != nil {
				return r.failed(err, addFields())
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.clients.added", text.Sanitize(c.Email)))
			return err
		})
	f := cmd.Flags()
	f.StringVar(&in.Email, "email", "", r.p.T("cmd.flag.email"))
	f.StringVar(&in.Name, "name", "", r.p.T("cmd.flag.name"))
	f.StringVar(&in.Company, "company", "", r.p.T("cmd.flag.company"))
	f.StringVar(&in.Phone, "phone", "", r.p.T("cmd.flag.phone"))
	f.StringVar(&in.Lang, "lang", "", r.p.T("cmd.flag.lang", strings.Join(langs, ", ")))
	return cmd
}

func (r *runner) invitesCmd() *cobra.Command {
	resend := r.leaf("resend EMAIL", "cmd.invites.resend.short", r.exactArgs("EMAIL"),
		func(cmd *cobra.Command, args []string) error {
			if err := r.svc.ResendInvitation(cmd.Context(), r.actor, args[0]); err != nil {
				return r.failed(err, nil)
			}
			_, err := fmt.Fprintln(r.out, r.p.T("cmd.invites.resent", echo(args[0])))
			return err
		})
	return r.group("invites", "cmd.invites.short", resend)
}
