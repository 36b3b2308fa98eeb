package commands

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

func (r *runner) urlCmd() *cobra.Command {
	return r.leaf("url", "cmd.url.short", r.noArgs(), func(*cobra.Command, []string) error {
		_, err := fmt.Fprintln(r.out, r.svc.PortalURL())
		return err
	})
}

// signupCmd shows and sets the sign-up mode, and works the queue of
// sign-ups waiting for approval. The mode is printed as "off", "on" or
// "on (approval)" whatever the language: the words the command takes, and
// what scripts compare.
func (r *runner) signupCmd() *cobra.Command {
	status := r.leaf("status", "cmd.signup.status.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
		return r.printSignUp(cmd)
	})
	var approval bool
	on := r.leaf("on [--approval]", "cmd.signup.on.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
		mode := vocab.SignUpOn
		if approval {
			mode = vocab.SignUpApproval
		}
		return r.setSignUp(cmd, mode)
	})
	on.Flags().BoolVar(&approval, "approval", false, r.p.T("cmd.flag.approval"))
	off := r.leaf("off", "cmd.signup.off.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
		return r.setSignUp(cmd, vocab.SignUpOff)
	})

	var (
		asJSON bool
		limit  int
	)
	pending := r.leaf("pending [--json] [--limit N]", "cmd.signup.pending.short", r.noArgs(),
		func(cmd *cobra.Command, _ []string) error {
			total, err := r.limitFlag(cmd, limit)
			if err != nil {
				return err
			}
			return r.listClients(cmd, vocab.ClientQuery{Status: vocab.StatusAwaiting}, total, asJSON)
		})
	pending.Flags().BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	pending.Flags().IntVar(&limit, "limit", 0, r.p.T("cmd.flag.limit"))

	var unverifiedJSON bool
	unverified := r.leaf("unverified [--json]", "cmd.signup.unverified.short", r.noArgs(),
		func(cmd *cobra.Command, _ []string) error { return r.listUnverified(cmd, unverifiedJSON) })
	unverified.Flags().BoolVar(&unverifiedJSON, "json", false, r.p.T("cmd.flag.json"))
	remove := r.idFirst(r.leaf("remove ID", "cmd.signup.remove.short", r.exactArgs("ID"),
		func(cmd *cobra.Command, args []string) error {
			id, err := r.parseID("cmd.error.signup_id", "ID", args[0])
			if err != nil {
				return err
			}
			if err := r.svc.RemoveSignUp(cmd.Context(), r.actor, id); err != nil {
				return r.failed(err, nil)
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.signup.removed", id))
			return err
		}), "cmd.error.signup_id")

	decide := func(use, shortKey, doneKey string, do func(context.Context, portal.Actor, string) error) *cobra.Command {
		return r.clientAction(use, shortKey, func(cmd *cobra.Command, email string) (string, error) {
			if err := do(cmd.Context(), r.actor, email); err != nil {
				return "", err
			}
			return r.p.T(doneKey, echo(email)), nil
		})
	}
	return r.group("signup", "cmd.signup.short", status, on, off, pending, unverified, remove,
		decide("approve EMAIL", "cmd.signup.approve.short", "cmd.signup.approved", r.svc.ApproveSignUp),
		decide("reject EMAIL", "cmd.signup.reject.short", "cmd.signup.rejected", r.svc.RejectSignUp))
}

func (r *runner) setSignUp(cmd *cobra.Command, mode string) error {
	if err := r.svc.SetSignUpMode(cmd.Context(), r.actor, mode); err != nil {
		return r.failed(err, nil)
	}
	return r.printSignUp(cmd)
}

func (r *runner) printSignUp(cmd *cobra.Command) error {
	mode, err := r.svc.SignUpMode(cmd.Context())
	if err != nil {
		return r.failed(err, nil)
	}
	word := "off"
	switch mode {
	case vocab.SignUpOn:
		word = "on"
	case vocab.SignUpApproval:
		word = "on (approval)"
	}
	_, err = fmt.Fprintln(r.out, word)
	return err
}

// listUnverified writes the sign-ups still waiting for their code, newest
// first: id, email, name, made, expires.
func (r *runner) listUnverified(cmd *cobra.Command, asJSON bool) error {
	err := pager[portal.PendingSignUp, uint64]{
		fetch: func(ctx context.Context, before uint64, limit int) ([]portal.PendingSignUp, error) {
			return r.svc.PendingSignUps(ctx, r.actor, before, limit)
		},
		next: func(last *portal.PendingSignUp) uint64 { return last.ID },
		json: func(u *portal.PendingSignUp) any {
			return map[string]any{
				"id": u.ID, "email": text.Sanitize(u.Email), "name": text.Sanitize(u.Name),
				"company": text.Sanitize(u.Company), "phone": text.Sanitize(u.Phone),
				"created_at": stamp(u.CreatedAt), "expires_at": stamp(u.ExpiresAt),
			}
		},
		row: func(u *portal.PendingSignUp) []string {
			return []string{strconv.FormatUint(u.ID, 10), text.Sanitize(u.Email), text.Sanitize(u.Name), stamp(u.CreatedAt), r.p.T("cmd.signup.expires", stamp(u.ExpiresAt))}
		},
	}.write(cmd.Context(), r.out, 0, 0, asJSON)
	return r.failed(err, nil)
}
