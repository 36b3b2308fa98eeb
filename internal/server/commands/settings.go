package commands

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (r *runner) urlCmd() *cobra.Command {
	return r.leaf("url", "cmd.url.short", r.noArgs(), func(*cobra.Command, []string) error {
		_, err := fmt.Fprintln(r.out, r.svc.PortalURL())
		return err
	})
}

// signupCmd prints the state as the words "on" and "off" whatever the
// language: they are the same words the command takes, and scripts compare
// them.
func (r *runner) signupCmd() *cobra.Command {
	status := r.leaf("status", "cmd.signup.status.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
		return r.printSignUp(cmd)
	})
	set := func(use, shortKey string, on bool) *cobra.Command {
		return r.leaf(use, shortKey, r.noArgs(), func(cmd *cobra.Command, _ []string) error {
			if err := r.svc.SetSignUp(cmd.Context(), r.actor, on); err != nil {
				return r.failed(err, nil)
			}
			return r.printSignUp(cmd)
		})
	}
	return r.group("signup", "cmd.signup.short", status,
		set("on", "cmd.signup.on.short", true), set("off", "cmd.signup.off.short", false))
}

func (r *runner) printSignUp(cmd *cobra.Command) error {
	on, err := r.svc.SignUpEnabled(cmd.Context())
	if err != nil {
		return r.failed(err, nil)
	}
	word := "off"
	if on {
		word = "on"
	}
	_, err = fmt.Fprintln(r.out, word)
	return err
}
