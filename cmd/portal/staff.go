package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/config"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
)

// withApp opens the data named by cfg for a subcommand that needs no server.
func withApp(ctx context.Context, cfg *config.Config, fn func(*app) error) error {
	if err := cfg.ValidateDatabase(); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func newStaffCommand(getenv func(string) string) *cobra.Command {
	staff := &cobra.Command{Use: "staff", Short: "Manage staff keys on the local data, without a server"}
	staff.AddCommand(newStaffAddCommand(getenv), newStaffListCommand(getenv))
	return staff
}

func newStaffAddCommand(getenv func(string) string) *cobra.Command {
	var name, role, key string
	cmd := &cobra.Command{
		Use:   "add --name NAME --role admin|support --key KEY",
		Short: "Register a staff member's public key",
		Args:  cobra.NoArgs,
	}
	cfg := config.BindDatabase(cmd.Flags(), getenv)
	cmd.Flags().StringVar(&name, "name", "", "staff name (no spaces)")
	cmd.Flags().StringVar(&role, "role", "", "admin or support")
	cmd.Flags().StringVar(&key, "key", "", "an authorized_keys line, or the path of a .pub file")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withApp(cmd.Context(), cfg, func(a *app) error {
			line, err := keyLine(key)
			if err != nil {
				return err
			}
			st, err := a.service.AddStaff(cmd.Context(), portal.System("local"), name, role, line)
			if err != nil {
				return fmt.Errorf("%s", errorLine(a.service, err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s (%s) %s\n", text.Sanitize(st.Name), st.Role, st.Fingerprint)
			return nil
		})
	}
	return cmd
}

// keyLine accepts the key itself or the path of a file holding it.
func keyLine(key string) (string, error) {
	if _, _, err := portal.ParseAuthorizedKey(key); err == nil || strings.TrimSpace(key) == "" {
		return key, nil
	}
	data, err := readSmallFile(key, 64*1024)
	if err != nil {
		return "", fmt.Errorf("--key: not a public key, and not a readable file: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

func newStaffListCommand(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List staff keys", Args: cobra.NoArgs}
	cfg := config.BindDatabase(cmd.Flags(), getenv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withApp(cmd.Context(), cfg, func(a *app) error {
			all, err := a.service.ListStaff(cmd.Context(), portal.System("local"))
			if err != nil {
				return err
			}
			return writeStaff(cmd.OutOrStdout(), all)
		})
	}
	return cmd
}

func newMigrateCommand(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Bring the database schema up to date", Args: cobra.NoArgs}
	cfg := config.BindDatabase(cmd.Flags(), getenv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withApp(cmd.Context(), cfg, func(*app) error {
			fmt.Fprintln(cmd.OutOrStdout(), "database is up to date")
			return nil
		})
	}
	return cmd
}

func writeStaff(w io.Writer, all []portal.StaffMember) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tKEY\tADDED")
	for _, st := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", text.Sanitize(st.Name), st.Role, st.Fingerprint, st.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}
