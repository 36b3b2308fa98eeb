package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/loadtest/floor"
	"github.com/clientportal/portal/internal/profiling"
)

// newFloorCommand serves the floor. The run command starts it as its own
// process, so it is measured from outside exactly like the portal binary.
func newFloorCommand() *cobra.Command {
	var hostKey string
	cmd := &cobra.Command{
		Use:    "floor",
		Short:  "Serve the floor (a bare wish + bubbletea app) on 127.0.0.1",
		Args:   cobra.NoArgs,
		Hidden: true,
	}
	cmd.Flags().StringVar(&hostKey, "host-key", "", "host key file (made when missing)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if hostKey == "" {
			return fmt.Errorf("--host-key: must not be empty")
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		profLn, err := profiling.Listen("127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() { _ = profiling.Serve(cmd.Context(), profLn) }()
		// The same key=value words the portal logs, read by startServer.
		fmt.Fprintf(cmd.ErrOrStderr(), "floor listening addr=%s pprof=%s\n", ln.Addr(), profLn.Addr())
		return floor.Serve(cmd.Context(), ln, hostKey)
	}
	return cmd
}
