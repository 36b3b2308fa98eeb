package commands

import (
	"context"
	"fmt"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
)

// Serve runs the command of staff session s, whose connection key signed,
// and returns its exit status. The key's owner is looked up again (it may
// have been removed since the handshake), and the command is bound as a
// staff session, so that removing the key ends a command still running
// (an import) as it ends a console. ctx is the session's, with the
// command's logger and options (WithLogger, WithImportProgress).
func Serve(ctx context.Context, svc *portal.Service, s ssh.Session, key gossh.PublicKey) int {
	st, err := svc.StaffByKey(ctx, key)
	if err != nil {
		p := svc.Catalog().Printer(text.English)
		if portal.AsError(err) == nil {
			loggerOf(ctx).Error("staff key check failed", "err", text.Sanitize(err.Error()))
		}
		fmt.Fprintln(s.Stderr(), portal.Message(p, err))
		return ExitFailed
	}
	actor := portal.StaffActor(st, s.RemoteAddr().String())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	svc.BindStaffSession(ctx, actor, "command-"+s.Context().SessionID(), func() { cancel(); _ = s.Close() })
	return RunLine(ctx, svc, actor, s.RawCommand(), s, s, s.Stderr())
}
