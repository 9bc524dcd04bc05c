package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// impairFlags are the values of `topo impair`, as typed.
type impairFlags struct {
	rate, delay, jitter, loss, corrupt, duplicate, reorder, queue string
	clear                                                         bool
}

func impairCmd() *cobra.Command {
	var labName string
	var f impairFlags
	c := &cobra.Command{
		Use:   "impair [--lab LAB] [LAB/]NODE:IFACE [--rate R] [--delay D] [--jitter J] [--loss P] [--corrupt P] [--duplicate P] [--reorder P] [--queue N] [--clear]",
		Short: "Change the impairment of the traffic leaving one end of a running link, at once",
		Long: `Change what happens to packets leaving NODE:IFACE, at once, without
rebuilding anything: the flags given replace those fields of the
impairment in force, the others stay (--clear starts from none). A
field set to 0 is removed. Only this end's egress changes: run it for
the other end too to shape both directions. "topo up FILE" later
restores the file's values.`,
		Example: "  topo impair h1:eth0 --rate 2mbit\n  topo impair h1:eth0 --delay 20ms --jitter 5ms --loss 1%\n  topo impair h1:eth0 --clear",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !f.clear && cmd.Flags().NFlag() == boolToInt(cmd.Flags().Changed("lab")) {
				return fmt.Errorf("say what to change: --rate, --delay, --jitter, --loss, --corrupt, --duplicate, --reorder, --queue or --clear")
			}
			if err := needRoot("topo impair"); err != nil {
				return err
			}
			name, target, err := labOfArg(cmd, "impair", labName, args[0])
			if err != nil {
				return err
			}
			args[0] = target
			st, err := lab.LoadState(name)
			if err != nil {
				return err
			}
			var cur *topology.Impairment
			if !f.clear {
				cur = currentImpair(st.Lab, args[0])
			}
			m, err := f.apply(cur, cmd.Flags().Changed)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			e, err := lab.SetImpair(ctx, name, args[0], m, lab.Options{Wait: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: impair %s\n", e, e.Impair)
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	fl.StringVar(&f.rate, "rate", "", "rate limit, e.g. 10mbit, 500kbit, 1gbit (bits/s), 100kbps (bytes/s); 0 removes it")
	fl.StringVar(&f.delay, "delay", "", "one-way delay added to every packet, e.g. 20ms (needs netem)")
	fl.StringVar(&f.jitter, "jitter", "", "random variation of the delay, e.g. 5ms (needs netem and a delay)")
	fl.StringVar(&f.loss, "loss", "", "percentage of packets dropped, e.g. 1% (needs netem)")
	fl.StringVar(&f.corrupt, "corrupt", "", "percentage of packets with a flipped bit, e.g. 0.1% (needs netem)")
	fl.StringVar(&f.duplicate, "duplicate", "", "percentage of packets sent twice, e.g. 1% (needs netem)")
	fl.StringVar(&f.reorder, "reorder", "", "percentage of packets sent at once, ahead of delayed ones, e.g. 25% (needs netem and a delay)")
	fl.StringVar(&f.queue, "queue", "", "queue length in packets, e.g. 100; 0 lets topo choose")
	fl.BoolVar(&f.clear, "clear", false, "start from no impairment (alone: remove every impairment of this end)")
	return c
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// currentImpair is the impairment last applied to endpoint, or nil.
func currentImpair(l *topology.Lab, endpoint string) *topology.Impairment {
	nodeName, iface, _ := strings.Cut(endpoint, ":")
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if e.Node == nodeName && (e.Interface == iface || iface == "" && len(l.Interfaces(nodeName)) == 1) {
				return e.Impair
			}
		}
	}
	return nil
}

// apply returns cur (nil for none) with the fields whose flag was given
// (changed reports which) parsed and replaced; "0" removes a field. The
// result is validated as a file's would be.
func (f *impairFlags) apply(cur *topology.Impairment, changed func(string) bool) (*topology.Impairment, error) {
	m := &topology.Impairment{}
	if cur != nil {
		*m = *cur
	}
	zero := func(s string) bool { return strings.TrimSpace(s) == "0" }
	var err error
	if changed("rate") {
		m.Rate = 0
		if !zero(f.rate) {
			if m.Rate, err = topology.ParseRate(f.rate); err != nil {
				return nil, fmt.Errorf("--rate: %w", err)
			}
		}
	}
	for _, d := range []struct {
		name string
		v    string
		dst  *int64
	}{{"delay", f.delay, (*int64)(&m.Delay)}, {"jitter", f.jitter, (*int64)(&m.Jitter)}} {
		if !changed(d.name) {
			continue
		}
		v, err := topology.ParseDelay(d.v)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", d.name, err)
		}
		*d.dst = int64(v)
	}
	for _, p := range []struct {
		name string
		v    string
		dst  *float64
	}{{"loss", f.loss, &m.Loss}, {"corrupt", f.corrupt, &m.Corrupt}, {"duplicate", f.duplicate, &m.Duplicate}, {"reorder", f.reorder, &m.Reorder}} {
		if !changed(p.name) {
			continue
		}
		if *p.dst, err = topology.ParsePercent(p.v); err != nil {
			return nil, fmt.Errorf("--%s: %w", p.name, err)
		}
	}
	if changed("queue") {
		n, err := strconv.Atoi(strings.TrimSpace(f.queue))
		if err != nil || n < 0 || n > 1_000_000 {
			return nil, fmt.Errorf("--queue %q must be a whole number from 1 to 1000000 (0 lets topo choose)", f.queue)
		}
		m.Queue = n
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}
