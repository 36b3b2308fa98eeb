package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
)

// The states of a request type as the commands print them: the words of
// `types enable` and `types disable`, the same in every language, so that
// scripts compare them.
const (
	typeEnabled  = "enabled"
	typeDisabled = "disabled"
)

func typeState(t *portal.RequestType) string {
	if t.Disabled {
		return typeDisabled
	}
	return typeEnabled
}

// typeJSON is a request type as `types list --json` and `types show
// --json` print it. Fields are written as --field takes them, so a script
// can feed them back to `types edit`.
type typeJSON struct {
	ID          uint64   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	State       string   `json:"state"`
	Fields      []string `json:"fields"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

func toTypeJSON(t *portal.RequestType, fields []portal.RequestField) typeJSON {
	specs := make([]string, len(fields))
	for i, f := range fields {
		specs[i] = text.Sanitize(portal.FormatFieldSpec(f))
	}
	return typeJSON{
		ID:          t.ID,
		Name:        text.Sanitize(t.Name),
		Description: text.Sanitize(t.Description),
		State:       typeState(t),
		Fields:      specs,
		CreatedAt:   stamp(t.CreatedAt),
		UpdatedAt:   stamp(t.UpdatedAt),
	}
}

// typeLabels names what feeds each field of the request type form, for
// refusal lines. NAME is the argument of `types add`; `types edit` takes
// it as --name.
func typeLabels(name string) map[string]string {
	return map[string]string{
		portal.FieldTypeName: name, portal.FieldTypeDesc: "--description", portal.FieldTypeFields: "--field",
	}
}

func (r *runner) typesCmd() *cobra.Command {
	return r.group("types", "cmd.types.short",
		r.typesListCmd(), r.typesShowCmd(), r.typesAddCmd(), r.typesEditCmd(),
		r.typesSetDisabledCmd("disable ID", "cmd.types.disable.short", "cmd.types.disabled", true),
		r.typesSetDisabledCmd("enable ID", "cmd.types.enable.short", "cmd.types.enabled", false))
}

// typeID reads the ID argument of a types command.
func (r *runner) typeID(s string) (uint64, error) {
	return r.parseID("cmd.error.type_id", "ID", s)
}

// typeLeaf is a types command whose first argument is the type's ID.
func (r *runner) typeLeaf(use, shortKey string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return r.idFirst(r.leaf(use, shortKey, args, run), "cmd.error.type_id")
}

func (r *runner) typesListCmd() *cobra.Command {
	var asJSON bool
	cmd := r.leaf("list [--json]", "cmd.types.list.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
		types, err := r.svc.RequestTypes(cmd.Context(), r.actor)
		if err != nil {
			return r.failed(err, nil)
		}
		// Types are tens, not thousands: the portal lists them whole.
		var (
			arr *jsonArray
			tab *table
		)
		if asJSON {
			arr = newJSONArray(r.out)
		} else {
			tab = newTable(r.out)
		}
		for i := range types {
			t := &types[i]
			fields := t.Fields
			if asJSON {
				err = arr.add(toTypeJSON(t, fields))
			} else {
				err = tab.row(strconv.FormatUint(t.ID, 10), t.Name, typeState(t), r.fieldCount(len(fields)))
			}
			if err != nil {
				return err
			}
		}
		if asJSON {
			return arr.close()
		}
		return tab.flush()
	})
	cmd.Flags().BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	return cmd
}

func (r *runner) fieldCount(n int) string {
	if n == 1 {
		return r.p.T("cmd.types.one_field")
	}
	return r.p.T("cmd.types.fields", n)
}

func (r *runner) typesShowCmd() *cobra.Command {
	var asJSON bool
	cmd := r.typeLeaf("show ID [--json]", "cmd.types.show.short", r.exactArgs("ID"),
		func(cmd *cobra.Command, args []string) error {
			id, err := r.typeID(args[0])
			if err != nil {
				return err
			}
			t, err := r.svc.RequestType(cmd.Context(), r.actor, id)
			if err != nil {
				return r.failed(err, nil)
			}
			fields := t.Fields
			if asJSON {
				return writeJSONObject(r.out, toTypeJSON(t, fields))
			}
			tab := newTable(r.out)
			for _, kv := range [][2]string{
				{r.p.T("cmd.types.show.id"), strconv.FormatUint(t.ID, 10)},
				{r.p.T("cmd.types.show.name"), t.Name},
				{r.p.T("cmd.types.show.description"), t.Description},
				{r.p.T("cmd.types.show.state"), typeState(t)},
				{r.p.T("cmd.types.show.created"), stamp(t.CreatedAt)},
				{r.p.T("cmd.types.show.updated"), stamp(t.UpdatedAt)},
			} {
				if err := tab.row(kv[0], kv[1]); err != nil {
					return err
				}
			}
			if err := tab.flush(); err != nil {
				return err
			}
			var b strings.Builder
			b.WriteString("\n" + r.p.T("cmd.types.show.fields") + "\n")
			for _, f := range fields {
				b.WriteString("  " + text.Sanitize(portal.FormatFieldSpec(f)) + "\n")
			}
			_, err = fmt.Fprint(r.out, b.String())
			return err
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json_object"))
	return cmd
}

// parseFields reads every --field in order; the first that cannot be
// read is refused, naming the flag.
func (r *runner) parseFields(specs []string) ([]portal.RequestField, error) {
	fields := make([]portal.RequestField, 0, len(specs))
	for _, s := range specs {
		f, err := portal.ParseFieldSpec(s)
		if err != nil {
			return nil, r.failedAs(err, typeLabels("NAME"))
		}
		fields = append(fields, f)
	}
	return fields, nil
}

func (r *runner) typesAddCmd() *cobra.Command {
	var (
		desc  string
		specs []string
	)
	cmd := r.leaf("add NAME... [--description D] --field SPEC [--field SPEC]...", "cmd.types.add.short", r.minArgs("NAME"),
		func(cmd *cobra.Command, args []string) error {
			if err := r.requireFlags(cmd, "field"); err != nil {
				return err
			}
			fields, err := r.parseFields(specs)
			if err != nil {
				return err
			}
			// The name's words, joined as ssh joins a command's words.
			in := portal.TypeInput{Name: strings.Join(args, " "), Description: desc, Fields: fields}
			t, err := r.svc.AddRequestType(cmd.Context(), r.actor, in)
			if err != nil {
				return r.failedAs(err, typeLabels("NAME"))
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.types.added", t.ID, text.Sanitize(t.Name), r.fieldCount(len(fields))))
			return err
		})
	f := cmd.Flags()
	f.StringVar(&desc, "description", "", r.p.T("cmd.flag.description"))
	// StringArray, not StringSlice: a spec holds commas ("text, required").
	f.StringArrayVar(&specs, "field", nil, r.p.T("cmd.flag.field"))
	return cmd
}

func (r *runner) typesEditCmd() *cobra.Command {
	var (
		name, desc string
		specs      []string
	)
	cmd := r.typeLeaf("edit ID [--name N] [--description D] [--field SPEC]...", "cmd.types.edit.short", r.exactArgs("ID"),
		func(cmd *cobra.Command, args []string) error {
			id, err := r.typeID(args[0])
			if err != nil {
				return err
			}
			changed := cmd.Flags().Changed
			if !changed("name") && !changed("description") && !changed("field") {
				return r.usage("cmd.error.nothing_to_change", cmd.UseLine())
			}
			var fields []portal.RequestField
			if changed("field") {
				if fields, err = r.parseFields(specs); err != nil {
					return err
				}
			}
			// The portal replaces the whole type: what was not given
			// keeps its current value.
			t, err := r.svc.RequestType(cmd.Context(), r.actor, id)
			if err != nil {
				return r.failed(err, nil)
			}
			in := portal.TypeInput{Name: t.Name, Description: t.Description, Fields: fields, ReadAt: t.UpdatedAt}
			if changed("name") {
				in.Name = name
			}
			if changed("description") {
				in.Description = desc
			}
			if !changed("field") {
				in.Fields = t.Fields
			}
			t, err = r.svc.EditRequestType(cmd.Context(), r.actor, id, in)
			if err != nil {
				return r.failedAs(err, typeLabels("--name"))
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.types.edited", t.ID, text.Sanitize(t.Name), r.fieldCount(len(in.Fields))))
			return err
		})
	f := cmd.Flags()
	f.StringVar(&name, "name", "", r.p.T("cmd.flag.type_name"))
	f.StringVar(&desc, "description", "", r.p.T("cmd.flag.description"))
	f.StringArrayVar(&specs, "field", nil, r.p.T("cmd.flag.field_edit"))
	return cmd
}

func (r *runner) typesSetDisabledCmd(use, shortKey, doneKey string, disabled bool) *cobra.Command {
	return r.typeLeaf(use, shortKey, r.exactArgs("ID"), func(cmd *cobra.Command, args []string) error {
		id, err := r.typeID(args[0])
		if err != nil {
			return err
		}
		if err := r.svc.SetRequestTypeDisabled(cmd.Context(), r.actor, id, disabled); err != nil {
			return r.failed(err, nil)
		}
		_, err = fmt.Fprintln(r.out, r.p.T(doneKey, id))
		return err
	})
}
