package commands

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

// clientDetailJSON is `clients show --json`: one object, the client's
// fields as in `clients list --json`, then its history.
type clientDetailJSON struct {
	clientJSON
	LiveSessions int              `json:"live_sessions"`
	Invitations  []invitationJSON `json:"invitations"`
	Events       []auditJSON      `json:"events"`
}

// invitationJSON is one invitation of a client; the token's hash is left
// out, it is of no use to a person.
type invitationJSON struct {
	State      string  `json:"state"`
	CreatedAt  string  `json:"created_at"`
	CreatedBy  string  `json:"created_by"`
	ExpiresAt  string  `json:"expires_at"`
	AcceptedAt *string `json:"accepted_at"`
	RevokedAt  *string `json:"revoked_at"`
}

func toDetailJSON(d *portal.ClientDetail) clientDetailJSON {
	j := clientDetailJSON{
		clientJSON:   toClientJSON(&d.Client),
		LiveSessions: d.LiveSessions,
		Invitations:  []invitationJSON{},
		Events:       []auditJSON{},
	}
	for _, inv := range d.Invitations {
		j.Invitations = append(j.Invitations, invitationJSON{
			State:      text.Sanitize(inv.State),
			CreatedAt:  stamp(inv.CreatedAt),
			CreatedBy:  text.Sanitize(inv.CreatedBy),
			ExpiresAt:  stamp(inv.ExpiresAt),
			AcceptedAt: stampPtr(inv.AcceptedAt),
			RevokedAt:  stampPtr(inv.RevokedAt),
		})
	}
	for i := range d.Events {
		j.Events = append(j.Events, toAuditJSON(&d.Events[i]))
	}
	return j
}

func (r *runner) clientsShowCmd() *cobra.Command {
	var asJSON bool
	cmd := r.leaf("show EMAIL [--json]", "cmd.clients.show.short", r.exactArgs("EMAIL"),
		func(cmd *cobra.Command, args []string) error {
			d, err := r.svc.ClientDetails(cmd.Context(), r.actor, args[0])
			if err != nil {
				return r.failed(err, nil)
			}
			if asJSON {
				return writeJSONObject(r.out, toDetailJSON(d))
			}
			return r.writeDetail(r.out, d)
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json_object"))
	return cmd
}

// writeDetail writes a client's profile as "label  value" lines, then the
// invitations and the recent events, newest first, a line each.
func (r *runner) writeDetail(w io.Writer, d *portal.ClientDetail) error {
	c := &d.Client
	lastLogin := ""
	if c.LastLoginAt != nil {
		lastLogin = stamp(*c.LastLoginAt)
	}
	tab := newTable(w)
	for _, kv := range [][2]string{
		{r.p.T("cmd.clients.show.email"), c.Email},
		{r.p.T("cmd.clients.show.name"), c.Name},
		{r.p.T("cmd.clients.show.company"), c.Company},
		{r.p.T("cmd.clients.show.phone"), c.Phone},
		{r.p.T("cmd.clients.show.status"), c.Status},
		{r.p.T("cmd.clients.show.lang"), c.Lang},
		{r.p.T("cmd.clients.show.created"), stamp(c.CreatedAt)},
		{r.p.T("cmd.clients.show.last_login"), lastLogin},
		{r.p.T("cmd.clients.show.sessions"), fmt.Sprint(d.LiveSessions)},
	} {
		if err := tab.row(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := tab.flush(); err != nil {
		return err
	}

	if len(d.Invitations) == 0 {
		if _, err := fmt.Fprintln(w, "\n"+r.p.T("cmd.clients.show.no_invitations")); err != nil {
			return err
		}
	} else {
		if _, err := fmt.Fprintln(w, "\n"+r.p.T("cmd.clients.show.invitations")); err != nil {
			return err
		}
		for _, inv := range d.Invitations {
			// The time that matters for the state: when it was accepted
			// or revoked, else when it expires (or expired).
			var when string
			switch {
			case inv.AcceptedAt != nil:
				when = r.p.T("cmd.clients.show.state_at", stamp(*inv.AcceptedAt))
			case inv.RevokedAt != nil:
				when = r.p.T("cmd.clients.show.state_at", stamp(*inv.RevokedAt))
			case inv.State == vocab.InvitationExpired:
				when = r.p.T("cmd.clients.show.state_at", stamp(inv.ExpiresAt))
			default:
				when = r.p.T("cmd.clients.show.open_until", stamp(inv.ExpiresAt))
			}
			by := ""
			if inv.CreatedBy != "" {
				by = r.p.T("cmd.clients.show.by", text.Sanitize(inv.CreatedBy))
			}
			sent := r.p.T("cmd.clients.show.sent", stamp(inv.CreatedAt))
			if err := tab.row(sent, inv.State, when, by); err != nil {
				return err
			}
		}
		if err := tab.flush(); err != nil {
			return err
		}
	}

	key := "cmd.clients.show.events"
	if len(d.Events) == 0 {
		key = "cmd.clients.show.no_events"
	}
	if _, err := fmt.Fprintln(w, "\n"+r.p.T(key)); err != nil {
		return err
	}
	for i := range d.Events {
		e := &d.Events[i]
		if err := tab.row(stamp(e.At), e.Actor, e.Action, e.Detail); err != nil {
			return err
		}
	}
	return tab.flush()
}

// clientAction is a command that does one thing to the client named by
// its argument and says so.
func (r *runner) clientAction(use, shortKey string, do func(cmd *cobra.Command, email string) (string, error)) *cobra.Command {
	return r.leaf(use, shortKey, r.exactArgs("EMAIL"), func(cmd *cobra.Command, args []string) error {
		msg, err := do(cmd, args[0])
		if err != nil {
			return r.failed(err, nil)
		}
		_, err = fmt.Fprintln(r.out, msg)
		return err
	})
}

func (r *runner) clientsDisableCmd() *cobra.Command {
	return r.clientAction("disable EMAIL", "cmd.clients.disable.short", func(cmd *cobra.Command, email string) (string, error) {
		if err := r.svc.DisableClient(cmd.Context(), r.actor, email); err != nil {
			return "", err
		}
		return r.p.T("cmd.clients.disabled", echo(email)), nil
	})
}

func (r *runner) clientsEnableCmd() *cobra.Command {
	return r.clientAction("enable EMAIL", "cmd.clients.enable.short", func(cmd *cobra.Command, email string) (string, error) {
		if err := r.svc.EnableClient(cmd.Context(), r.actor, email); err != nil {
			return "", err
		}
		// What "enabled" means depends on the client: one who never set
		// a password is invited again.
		key := "cmd.clients.enabled"
		if d, err := r.svc.ClientDetails(cmd.Context(), r.actor, email); err == nil && d.Client.Status == vocab.StatusInvited {
			key = "cmd.clients.enabled_invited"
		}
		return r.p.T(key, echo(email)), nil
	})
}

func (r *runner) clientsEndSessionsCmd() *cobra.Command {
	return r.clientAction("end-sessions EMAIL", "cmd.clients.end_sessions.short", func(cmd *cobra.Command, email string) (string, error) {
		n, err := r.svc.EndSessions(cmd.Context(), r.actor, email)
		if err != nil {
			return "", err
		}
		switch n {
		case 0:
			return r.p.T("cmd.clients.sessions_none", echo(email)), nil
		case 1:
			return r.p.T("cmd.clients.sessions_one", echo(email)), nil
		}
		return r.p.T("cmd.clients.sessions_ended", echo(email), n), nil
	})
}
