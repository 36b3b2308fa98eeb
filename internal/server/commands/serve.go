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
// and returns its exit status. The session is opened in the domain
// (OpenStaffSession): a key removed since the handshake is refused, and
// removing the key later ends a command still running (an import) as it
// ends a console. ctx is the session's, with the command's logger and
// options (WithLogger, WithImportProgress).
func Serve(ctx context.Context, svc *portal.Service, s ssh.Session, key gossh.PublicKey) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	actor, err := svc.OpenStaffSession(ctx, key, s.RemoteAddr().String(), "command-"+s.Context().SessionID(),
		func() { cancel(); _ = s.Close() })
	if err != nil {
		fmt.Fprintln(s.Stderr(), portal.Message(svc.Catalog().Printer(text.English), err))
		return ExitFailed
	}
	return RunLine(ctx, svc, actor, s.RawCommand(), s, s, s.Stderr())
}
