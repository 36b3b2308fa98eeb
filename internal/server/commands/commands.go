// Package commands runs the one-shot SSH commands staff send to portal-admin
// (`ssh portal-admin@HOST clients list --json`). Like Soft Serve's command
// tree, the cobra commands are built anew for every call, closed over that
// call's actor and streams, so two sessions never share a flag value.
//
// Every command calls internal/portal and nothing else: roles are checked
// there, so a command a role may not run is still offered and the portal's
// refusal is printed.
//
// Exit status: 0 on success; 1 when the command ran and failed (the portal
// refused, the role may not, or something broke on our side); 2 when the
// command line itself is wrong (unknown command, unknown or bad flag,
// missing flag or argument). Output goes to stdout; an error is one line on
// stderr. The one exception is `clients import`, which reads many lines:
// it prints one line per refused CSV line on stderr ("line N: why") and
// its summary on stdout, and exits 1 when any line was refused (duplicates
// are not refusals), so that a script notices.
//
// `requests note ID` without a text reads the note from standard input, so
// a script can pipe a note of several lines.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kballard/go-shellquote"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

// Exit statuses.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// maxEcho caps, in characters, a value typed by the user that an error line
// repeats: enough to recognise it, never a screenful.
const maxEcho = 60

type loggerKey struct{}

// WithLogger returns a context that makes Run log internal failures and
// panics to l; without it they are only reported to the user as the generic
// internal error.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// loggerOf is ctx's logger (WithLogger), or one that discards.
func loggerOf(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// RunLine runs a command as an SSH client sent it: one line, split into
// words as a POSIX shell would (quotes, backslashes). A quote left open
// (an apostrophe in "Don't", say) is refused with a clear message rather
// than dropped, which would change what was meant.
func RunLine(ctx context.Context, svc *portal.Service, actor portal.Actor, line string, stdin io.Reader, stdout, stderr io.Writer) int {
	args, err := shellquote.Split(line)
	if err != nil {
		fmt.Fprintln(stderr, svc.Catalog().Printer(text.English).T("cmd.error.open_quote"))
		return ExitUsage
	}
	return Run(ctx, svc, actor, args, stdin, stdout, stderr)
}

// Run executes one command line for a staff member and returns the exit
// status. The server calls it with the session's command, its streams and
// the staff actor; tests call it with buffers.
func Run(ctx context.Context, svc *portal.Service, actor portal.Actor, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	log := loggerOf(ctx)
	r := &runner{
		args:   args,
		svc:    svc,
		actor:  actor,
		p:      svc.Catalog().Printer(text.English),
		in:     stdin,
		out:    &stickyWriter{w: stdout},
		stderr: stderr,
		log:    log,
	}
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("command panicked", "command", commandName(args), "actor", actor.Name,
				"panic", text.Sanitize(fmt.Sprint(v)), "stack", string(debug.Stack()))
			fmt.Fprintln(stderr, r.p.T("common.error.internal"))
			code = ExitFailed
		}
	}()
	// cobra reads os.Args when given nil: the server process's own flags
	// must never be taken for the staff member's command.
	if args == nil {
		args = []string{}
	}
	root := r.root()
	root.SetArgs(args)
	_, err := root.ExecuteContextC(ctx)
	if err == nil && r.out.err != nil {
		err = r.out.err
	}
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil {
		// The session ended under the command: nobody reads the line, and
		// the log need not call it a failure.
		fmt.Fprintln(stderr, r.p.T("common.error.internal"))
		return ExitFailed
	}
	return r.report(args, err)
}

// runner is one call's state: everything a command needs, nothing shared.
type runner struct {
	args   []string // the command line, for errors that need its words
	svc    *portal.Service
	actor  portal.Actor
	p      text.Printer
	in     io.Reader
	out    *stickyWriter
	stderr io.Writer
	log    *slog.Logger
}

// exitError is a failure whose line to print is already decided.
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string { return e.msg }

// usage is a command line mistake: exit 2.
func (r *runner) usage(key string, args ...any) error {
	return &exitError{msg: r.p.T(key, args...), code: ExitUsage}
}

// failed turns what the portal returned into the line to print. flags maps
// a portal form field to the flag that fed it, so "Required." reads
// "--name: Required.".
func (r *runner) failed(err error, flags map[string]string) error {
	pe := portal.AsError(err)
	if pe == nil {
		return err // internal: report logs it and prints the generic line
	}
	return &exitError{msg: r.refusal(pe, flags), code: ExitFailed}
}

// refusal words a portal refusal, with the flag (or column) named in flags
// for its field in front.
func (r *runner) refusal(pe *portal.Error, flags map[string]string) string {
	args := make([]any, len(pe.Args))
	for i, a := range pe.Args {
		// Refusals repeat what was typed or stored (an email, a name):
		// user text, so it is cleaned before it reaches the terminal.
		if s, ok := a.(string); ok {
			a = echo(s)
		}
		args[i] = a
	}
	msg := r.p.T(pe.Key, args...)
	if f, ok := flags[pe.Field]; ok && pe.Field != "" {
		msg = r.p.T("cmd.error.field", f, msg)
	}
	return msg
}

// failedAs is failed for commands whose refused values came from
// arguments as well as flags: labels maps a portal form field to the name
// shown in front of the refusal as it is ("NAME", "--field", "The note").
func (r *runner) failedAs(err error, labels map[string]string) error {
	pe := portal.AsError(err)
	if pe == nil {
		return err
	}
	msg := r.refusal(pe, nil)
	if l, ok := labels[pe.Field]; ok && pe.Field != "" {
		msg = r.p.T("cmd.error.labelled", l, msg)
	}
	return &exitError{msg: msg, code: ExitFailed}
}

// report prints err as one line on stderr and returns the exit status.
func (r *runner) report(args []string, err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		// An empty line means the command has already said what went
		// wrong (clients import, one line per refused line).
		if ee.msg != "" {
			fmt.Fprintln(r.stderr, ee.msg)
		}
		return ee.code
	}
	r.log.Error("command failed", "command", commandName(args), "actor", r.actor.Name,
		"err", text.Sanitize(err.Error()))
	fmt.Fprintln(r.stderr, r.p.T(portal.InternalKey(err)))
	return ExitFailed
}

// echo makes a user-supplied value safe and short enough to repeat in a
// message.
func echo(s string) string {
	s = text.Sanitize(s)
	if utf8.RuneCountInString(s) <= maxEcho {
		return s
	}
	n := 0
	for i := range s {
		if n == maxEcho {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// commandName is what logs may name: the command word only, since the
// arguments may hold personal data.
func commandName(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return echo(args[0])
}

// stickyWriter remembers the first write error, so a listing stops paging
// once the client has gone instead of reading the whole table for nobody.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(b)
	if err != nil {
		s.err = err
	}
	return n, err
}

// root builds this call's command tree.
func (r *runner) root() *cobra.Command {
	root := &cobra.Command{
		Use:                   vocab.StaffUser + " COMMAND",
		Short:                 r.p.T("cmd.root.short"),
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return r.unknown(cmd, args[0])
			}
			return r.usage("cmd.error.no_command")
		},
		// Staff typing a near miss get told to run help; the suggestion
		// text would be cobra's English, not the catalog's.
		DisableSuggestions: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(r.in)
	root.SetOut(r.out)
	root.SetErr(r.stderr)
	root.PersistentFlags().BoolP("help", "h", false, r.p.T("cmd.flag.help"))
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { r.help(cmd, cmd.OutOrStdout()) })
	root.SetUsageFunc(func(cmd *cobra.Command) error { r.help(cmd, cmd.ErrOrStderr()); return nil })
	root.SetFlagErrorFunc(r.flagError)
	root.SetHelpCommand(r.helpCmd())

	root.AddCommand(
		r.urlCmd(),
		r.signupCmd(),
		r.clientsCmd(),
		r.invitesCmd(),
		r.outboxCmd(),
		r.auditCmd(),
		r.staffCmd(),
		r.typesCmd(),
		r.requestsCmd(),
		r.noCompletion(),
	)
	return root
}

// noCompletion shadows cobra's hidden shell-completion request command,
// which a remote user has no use for and which reads the server's
// environment.
func (r *runner) noCompletion() *cobra.Command {
	return &cobra.Command{
		Use:                cobra.ShellCompRequestCmd,
		Aliases:            []string{cobra.ShellCompNoDescRequestCmd},
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.unknown(cmd.Root(), cmd.CalledAs())
		},
	}
}

// group is a command that only holds subcommands. Run without one, or with
// a word that is not one, it is a usage error rather than cobra's help with
// exit 0, so a script with a typo fails.
func (r *runner) group(use, shortKey string, subs ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{
		Use:                   use + " COMMAND",
		Short:                 r.p.T(shortKey),
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return r.unknown(cmd, args[0])
			}
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return r.usage("cmd.error.needs_subcommand", cmd.Name(), strings.Join(names, ", "))
		},
	}
	g.AddCommand(subs...)
	return g
}

// leaf is a command that does something.
func (r *runner) leaf(use, shortKey string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:                   use,
		Short:                 r.p.T(shortKey),
		DisableFlagsInUseLine: true,
		Args:                  args,
		RunE:                  run,
	}
}

func (r *runner) unknown(cmd *cobra.Command, word string) error {
	word, helpCmd := echo(word), "help"
	if path := helpPath(cmd); path != "" {
		word, helpCmd = path+" "+word, helpCmd+" "+path
	}
	return r.usage("cmd.error.unknown_command", word, helpCmd)
}

// helpPath is the argument of "help" that shows cmd's help.
func helpPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(cmd.CommandPath(), vocab.StaffUser), " ")
}

// noArgs, exactArgs: cobra's validators speak English; these speak the
// catalog.
func (r *runner) noArgs() cobra.PositionalArgs { return r.exactArgs() }

func (r *runner) exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return r.usage("cmd.error.missing_arg", names[len(args)], cmd.UseLine())
		}
		if len(args) > len(names) {
			return r.usage("cmd.error.extra_arg", echo(args[len(names)]), cmd.UseLine())
		}
		return nil
	}
}

// minArgs is exactArgs for a command whose last argument is words
// (NAME..., TEXT...): at least the names given, any number after.
func (r *runner) minArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return r.usage("cmd.error.missing_arg", names[len(args)], cmd.UseLine())
		}
		return nil
	}
}

// parseID reads a request or request type ID typed as the argument or
// flag name: digits only, from 1 to the largest ID the databases hold
// (signed 64 bits). key words the refusal; it takes name and the value.
func (r *runner) parseID(key, name, s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 63)
	if err != nil || id == 0 {
		return 0, r.usage(key, name, echo(s))
	}
	return id, nil
}

// idFirst makes cmd, whose first argument is an ID, word a negative ID
// as a bad ID: the flag parser takes "-1" for an unknown flag, and
// "Unknown flag -1" would not say what is wrong. A dash word anywhere else
// stays an unknown flag.
func (r *runner) idFirst(cmd *cobra.Command, key string) *cobra.Command {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		var notExist *pflag.NotExistError
		if errors.As(err, &notExist) && notExist.GetSpecifiedShortnames() != "" {
			word := "-" + notExist.GetSpecifiedShortnames()
			if first, ok := r.firstArg(c); ok && first == word {
				return r.usage(key, "ID", echo(word))
			}
		}
		return r.flagError(c, err)
	})
	return cmd
}

// firstArg is the first word of the command line after cmd's path that is
// not a long flag or -h: the first argument, on commands whose flags take
// no value.
func (r *runner) firstArg(cmd *cobra.Command) (string, bool) {
	path := strings.Fields(helpPath(cmd))
	i := 0
	for _, a := range r.args {
		switch {
		case i < len(path):
			if a == path[i] {
				i++
			}
		case a == "--", a == "-h", strings.HasPrefix(a, "--"):
		default:
			return a, true
		}
	}
	return "", false
}

// nonEmpty refuses a flag given with an empty value: a filter a script
// fills from an empty variable must not quietly select everything.
func (r *runner) nonEmpty(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed && strings.TrimSpace(f.Value.String()) == "" {
			return r.usage("cmd.error.flag_needs_value", n)
		}
	}
	return nil
}

// requireFlags reports the first of names that was not given at all. An
// empty value given on purpose goes on to the portal, which says what is
// wrong with it.
func (r *runner) requireFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			return r.usage("cmd.error.flag_required", n, cmd.UseLine())
		}
	}
	return nil
}

// flagError rewrites pflag's errors (English, and echoing the raw value)
// as catalog lines with the value cleaned.
func (r *runner) flagError(cmd *cobra.Command, err error) error {
	at := helpPath(cmd)
	var (
		notExist *pflag.NotExistError
		needs    *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &notExist):
		name := "--" + notExist.GetSpecifiedName()
		if notExist.GetSpecifiedShortnames() != "" {
			name = "-" + notExist.GetSpecifiedName()
		}
		return r.usage("cmd.error.unknown_flag", echo(name), at)
	case errors.As(err, &needs):
		return r.usage("cmd.error.flag_needs_value", needs.GetFlag().Name)
	case errors.As(err, &invalid):
		return r.usage("cmd.error.flag_bad_value", invalid.GetFlag().Name, echo(invalid.GetValue()), at)
	case errors.As(err, &syntax):
		return r.usage("cmd.error.flag_syntax", echo(syntax.GetSpecifiedFlag()), at)
	}
	return r.usage("cmd.error.flags", echo(err.Error()), at)
}

// helpCmd replaces cobra's help command, whose texts are English and which
// repeats an unknown topic unescaped.
func (r *runner) helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:                   "help [COMMAND]",
		Short:                 r.p.T("cmd.help.short"),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return r.usage("cmd.error.unknown_help", echo(strings.Join(args, " ")))
			}
			r.help(target, cmd.OutOrStdout())
			return nil
		},
	}
}

// help writes cmd's help, every word of it from the catalog.
func (r *runner) help(cmd *cobra.Command, w io.Writer) {
	var b strings.Builder
	b.WriteString(cmd.Short + "\n\n")
	b.WriteString(r.p.T("cmd.help.usage") + "\n  " + cmd.UseLine() + "\n")
	var subs []*cobra.Command
	width := 0
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			subs = append(subs, c)
			width = max(width, len(c.Name()))
		}
	}
	if len(subs) > 0 {
		b.WriteString("\n" + r.p.T("cmd.help.commands") + "\n")
		for _, c := range subs {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, c.Name(), c.Short)
		}
	}
	flags := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	flags.AddFlagSet(cmd.LocalFlags())
	flags.AddFlagSet(cmd.InheritedFlags())
	if flags.HasAvailableFlags() {
		b.WriteString("\n" + r.p.T("cmd.help.flags") + "\n" + flags.FlagUsages())
	}
	if len(subs) > 0 {
		b.WriteString("\n" + r.p.T("cmd.help.more") + "\n")
	}
	_, _ = io.WriteString(w, b.String())
}
