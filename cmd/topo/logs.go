package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/service"
)

func logsCmd() *cobra.Command {
	var labName string
	var follow bool
	var lines int
	c := &cobra.Command{
		Use:   "logs [--lab LAB] NODE[/SERVICE] [-f] [-n N]",
		Short: "Show the output of a node's services",
		Long: `Show the log of one service (NODE/SERVICE), or of every service of NODE,
as the lab's supervisor writes it: the service's output, with a line at
each start and exit.`,
		Example: "  topo logs web1/web\n  topo logs -f -n 20 r1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo logs"); err != nil {
				return err
			}
			name, err := labFlag(cmd, labName)
			if err != nil {
				return err
			}
			nodeName, svc, _ := strings.Cut(args[0], "/")
			st, err := lab.LoadState(name)
			if err != nil {
				return err
			}
			n := st.Lab.Node(nodeName)
			if n == nil {
				return fmt.Errorf("lab %s has no node %q", name, nodeName)
			}
			var paths, names []string
			for _, s := range n.Services {
				if svc == "" || s.Name == svc {
					paths = append(paths, lab.ServiceLogPath(name, nodeName, s.Name))
					names = append(names, s.Name)
				}
			}
			if len(paths) == 0 {
				if svc != "" {
					return fmt.Errorf("node %s has no service %q", nodeName, svc)
				}
				return fmt.Errorf("node %s has no services", nodeName)
			}
			out := cmd.OutOrStdout()
			offsets := make([]int64, len(paths))
			for i, p := range paths {
				prefix := ""
				if len(paths) > 1 {
					prefix = names[i] + "| "
				}
				for _, l := range service.Tail(p, lines) {
					fmt.Fprintf(out, "%s%s\n", prefix, l)
				}
				offsets[i] = size(p)
			}
			if !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			for ctx.Err() == nil {
				for i, p := range paths {
					prefix := ""
					if len(paths) > 1 {
						prefix = names[i] + "| "
					}
					offsets[i] = copyNew(out, p, offsets[i], prefix)
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	c.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing what the services write")
	c.Flags().IntVarP(&lines, "lines", "n", 20, "how many of the last lines to show")
	return c
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// copyNew prints what was appended to path since offset, each line
// with prefix; it returns the new offset.
func copyNew(out io.Writer, path string, offset int64, prefix string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return offset
	}
	defer f.Close()
	end, _ := f.Seek(0, io.SeekEnd)
	if end < offset {
		offset = 0
	}
	if end == offset {
		return offset
	}
	buf := make([]byte, end-offset)
	n, _ := f.ReadAt(buf, offset)
	text := string(buf[:n])
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i+1]
	} else {
		return offset
	}
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			fmt.Fprint(out, prefix+l)
		}
	}
	return offset + int64(len(text))
}
