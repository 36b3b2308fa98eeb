package commands

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
)

// maxKeyInput bounds what `staff add --key -` reads: the portal refuses a
// key line over 16 KiB, and reading stops one byte past that so it can.
const maxKeyInput = 16*1024 + 1

type staffJSON struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	Fingerprint string `json:"fingerprint"`
	PublicKey   string `json:"public_key"`
	CreatedAt   string `json:"created_at"`
}

func (r *runner) staffCmd() *cobra.Command {
	return r.group("staff", "cmd.staff.short", r.staffListCmd(), r.staffAddCmd(), r.staffRemoveCmd(), r.staffRemoveKeyCmd())
}

func (r *runner) staffListCmd() *cobra.Command {
	var asJSON bool
	cmd := r.leaf("list [--json]", "cmd.staff.list.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
		staff, err := r.svc.ListStaff(cmd.Context(), r.actor)
		if err != nil {
			return r.failed(err, nil)
		}
		if asJSON {
			arr := newJSONArray(r.out)
			for _, s := range staff {
				if err := arr.add(staffJSON{
					Name: text.Sanitize(s.Name), Role: text.Sanitize(s.Role),
					Fingerprint: text.Sanitize(s.Fingerprint), PublicKey: text.Sanitize(s.PublicKey),
					CreatedAt: stamp(s.CreatedAt),
				}); err != nil {
					return err
				}
			}
			return arr.close()
		}
		tab := newTable(r.out)
		for _, s := range staff {
			if err := tab.row(s.Name, s.Role, s.Fingerprint, stamp(s.CreatedAt)); err != nil {
				return err
			}
		}
		return tab.flush()
	})
	cmd.Flags().BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	return cmd
}

func staffFields() map[string]string {
	return map[string]string{portal.FieldStaffName: "name", portal.FieldRole: "role", portal.FieldKey: "key"}
}

func (r *runner) staffAddCmd() *cobra.Command {
	var name, role, key string
	cmd := r.leaf("add --name N --role admin|support --key KEY|-", "cmd.staff.add.short", r.noArgs(),
		func(cmd *cobra.Command, _ []string) error {
			if err := r.requireFlags(cmd, "name", "role", "key"); err != nil {
				return err
			}
			if key == "-" {
				line, err := readKeyLine(r.in)
				if err != nil {
					return r.usage("cmd.error.key_stdin")
				}
				key = line
			}
			st, err := r.svc.AddStaff(cmd.Context(), r.actor, name, role, key)
			if err != nil {
				return r.failed(err, staffFields())
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.staff.added",
				text.Sanitize(st.Name), text.Sanitize(st.Role), text.Sanitize(st.Fingerprint)))
			return err
		})
	f := cmd.Flags()
	f.StringVar(&name, "name", "", r.p.T("cmd.flag.staff_name"))
	f.StringVar(&role, "role", "", r.p.T("cmd.flag.role"))
	f.StringVar(&key, "key", "", r.p.T("cmd.flag.key"))
	return cmd
}

func (r *runner) staffRemoveCmd() *cobra.Command {
	return r.leaf("remove NAME", "cmd.staff.remove.short", r.exactArgs("NAME"),
		func(cmd *cobra.Command, args []string) error {
			if err := r.svc.RemoveStaff(cmd.Context(), r.actor, args[0]); err != nil {
				return r.failed(err, nil)
			}
			_, err := fmt.Fprintln(r.out, r.p.T("cmd.staff.removed", echo(args[0])))
			return err
		})
}

func (r *runner) staffRemoveKeyCmd() *cobra.Command {
	return r.leaf("remove-key FINGERPRINT", "cmd.staff.remove_key.short", r.exactArgs("FINGERPRINT"),
		func(cmd *cobra.Command, args []string) error {
			if err := r.svc.RemoveStaffKey(cmd.Context(), r.actor, args[0]); err != nil {
				return r.failed(err, nil)
			}
			_, err := fmt.Fprintln(r.out, r.p.T("cmd.staff.key_removed", echo(args[0])))
			return err
		})
}

// readKeyLine returns the first line of in that is neither blank nor a
// comment. It stops at that line's end rather than waiting for end of
// input, so a person pasting the key at the prompt is not left hanging.
func readKeyLine(in io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(in, maxKeyInput))
	for {
		line, err := br.ReadString('\n')
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return t, nil
		}
		if errors.Is(err, io.EOF) {
			// Nothing usable: the portal says a key is required.
			return "", nil
		}
		if err != nil {
			return "", err
		}
	}
}
