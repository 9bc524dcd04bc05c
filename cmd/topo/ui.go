package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/ui"
)

func uiCmd() *cobra.Command {
	var (
		listen           string
		readOnly, expand bool
	)
	c := &cobra.Command{
		Use:   "ui [--listen ADDR] [--read-only]",
		Short: "A live web view of the labs: the picture, traffic, nodes, and actions (link, impair, check, ping, capture)",
		Long: `Serve a web page showing the labs on this machine: each lab's picture (the
layout of topo graph), updated live as links go up or down, nodes come and
go and drift appears; per-link packets and bits per second and drops; a
panel per node with its interfaces, addresses, routes, neighbours and
processes. Unless --read-only, the page can take links down and up, change
impairments, run topo check and paint its failures, ping between two
nodes, and capture a node or link live (with a pcapng download).

The first line printed is the URL to open; it carries a token that every
request needs (the page keeps it in a cookie), and actions are accepted only
from the page itself. The default address is 127.0.0.1 with a free port;
--listen 0.0.0.0:8080 --read-only shows the labs to a classroom.`,
		Example: "  topo ui\n  topo ui --listen 0.0.0.0:8080 --read-only",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo ui"); err != nil {
				return err
			}
			srv, err := ui.New(ui.Options{Backend: ui.Kernel{Expand: expand}, ReadOnly: readOnly})
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w (choose another with --listen)", listen, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), srv.URL(l.Addr()))
			if readOnly {
				fmt.Fprintln(cmd.ErrOrStderr(), "read-only: the page shows the labs and changes nothing")
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return srv.Serve(ctx, l)
		},
	}
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on (port 0: a free one)")
	c.Flags().BoolVar(&readOnly, "read-only", false, "view only: refuse every action")
	c.Flags().BoolVar(&expand, "expand", false, "draw every host, even past 300 (no group nodes)")
	return c
}
