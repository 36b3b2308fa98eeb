// Command portal-load measures the portal under load against the floor, a
// bare wish + bubbletea app (internal/loadtest/floor), started side by side
// in one run so that every figure can be read as a ratio. It starts both
// servers itself on 127.0.0.1 and never connects anywhere else.
//
//	go run ./cmd/portal-load                       # 500 sessions at 100/s: floor, portal, portal with silent terminals
//	go run ./cmd/portal-load --sessions 4000 --servers portal
//
// See BENCHMARKS.md for what each figure means and what was measured.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand()
	root.SetArgs(os.Args[1:])
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "portal-load:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := newRunCommand()
	root.AddCommand(newFloorCommand())
	root.SilenceUsage = true
	root.SilenceErrors = true
	return root
}
