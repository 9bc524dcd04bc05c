package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/capture"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/node"
)

// captureFlags are the options of `topo capture`.
type captureFlags struct {
	lab      string
	all      bool
	write    string
	count    int
	timeout  time.Duration
	ether    bool
	verbose  bool
	print    bool
	bufferKB int
}

func captureCmd() *cobra.Command {
	var f captureFlags
	c := &cobra.Command{
		Use:   "capture [--lab LAB] TARGET... [-w FILE|-] [-c N] [--timeout D] [-e] [-v] [FILTER...]",
		Short: "Watch the frames of nodes, interfaces or links live, or write them to a pcapng file",
		Long: `Capture the frames that nodes of a lab send and receive, without tcpdump.

TARGET is a node (every interface of a host, every port of a switch),
NODE:IFACE, or link:NODE:IFACE (both ends of the link with that end);
--all takes every interface of every host. Each frame is printed on one
line: the time, where it was seen (NODE:IFACE), < when it came in or >
when it went out, and what it is. Frames of many interfaces come out in
time order.

FILTER keeps only some frames: arp, ip, ip6, icmp, icmp6, tcp, udp,
dns, dhcp, dhcp6, ospf, bgp, [src|dst] host ADDR|NODE, [src|dst] net
PREFIX, [src|dst] port N, joined by and, or, not and parentheses; words
side by side mean and ("tcp port 80"). Put -- before a filter whose
first word is also a node's name.

-w FILE writes pcapng (Wireshark, tshark, tcpdump -r), one interface
per NODE:IFACE; -w - streams it to standard output, for
"topo capture h1 -w - | wireshark -k -i -". Ctrl-C, -c or --timeout
end the capture; the counts of frames captured and dropped by the
kernel go to standard error.`,
		Example: "  topo capture h2 arp\n  topo capture --all -w lab.pcapng\n  topo capture link:h1:eth0 icmp or arp\n  topo capture r1 -c 10 host h2 and not icmp6",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCapture(cmd, f, args, cmd.ArgsLenAtDash())
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.lab, "lab", "", "the lab (default: the only lab that is up)")
	fl.BoolVar(&f.all, "all", false, "capture every interface of every host")
	fl.StringVarP(&f.write, "write", "w", "", "write pcapng to FILE (- for standard output) instead of printing")
	fl.IntVarP(&f.count, "count", "c", 0, "stop after N frames")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop after this long")
	fl.BoolVarP(&f.ether, "ether", "e", false, "print the Ethernet addresses")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print every layer's fields")
	fl.BoolVar(&f.print, "print", false, "with -w, print the lines too (to standard error with -w -)")
	fl.IntVarP(&f.bufferKB, "buffer-size", "B", 0, "kernel buffer per interface in KiB (default: 8192, less for many interfaces)")
	return c
}

// usage fails the command with exit status 2 after printing err, each
// of its lines after the first indented under "topo: ".
func usage(w io.Writer, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		if i == 0 || !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "allowed") {
			fmt.Fprintln(w, "topo: "+l)
		} else {
			fmt.Fprintln(w, "      "+l)
		}
	}
	return exitError{2}
}

func runCapture(cmd *cobra.Command, f captureFlags, args []string, dash int) error {
	stderr := cmd.ErrOrStderr()
	if err := needRoot("topo capture"); err != nil {
		return err
	}
	name, err := pickLab(f.lab)
	if err != nil {
		return usage(stderr, err)
	}
	l, err := lab.Applied(name)
	if errors.Is(err, lab.ErrNoState) {
		return usage(stderr, fmt.Errorf("lab %s is not up (`topo status` lists the labs that are up)", name))
	}
	if err != nil {
		return usage(stderr, err)
	}
	targets, words := splitCapture(l, args, dash)
	if len(targets) == 0 && !f.all {
		return usage(stderr, errors.New("name what to capture: a node, NODE:IFACE, link:NODE:IFACE or --all (`topo status` lists them)"))
	}
	sels, err := capture.Resolve(l, targets, f.all, kernelHas(name))
	if err != nil {
		return usage(stderr, err)
	}
	filter, err := capture.ParseFilter(words, capture.LabHosts(l))
	if err != nil {
		return usage(stderr, err)
	}
	sinks, finish, err := captureSinks(cmd, f)
	if err != nil {
		return err
	}
	opts := capture.Options{
		Lab: name, Open: labOpener(name), Filter: filter, Sinks: sinks, Count: f.count,
		RingSize: f.bufferKB << 10, Notes: stderr, StateDir: lab.Dir(name),
	}
	if f.all {
		opts.NewNodes = allHosts(name)
	}
	signalled, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx := signalled
	// A reader of -w - that goes away ends the capture cleanly.
	signal.Ignore(syscall.SIGPIPE)
	sess, err := capture.Start(sels, opts)
	if err != nil {
		finish(false)
		return usage(stderr, err)
	}
	listening(stderr, sess)
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	select {
	case <-ctx.Done():
	case <-sess.Done():
	}
	stats := sess.Stop(ctx.Err() != nil)
	if signalled.Err() != nil && terminalWidth(stderr) > 0 {
		fmt.Fprintln(stderr) // end the line the terminal's ^C is on, as tcpdump does
	}
	capture.WriteSummary(stderr, stats, len(words) > 0)
	ferr := finish(true)
	switch err := sess.Err(); {
	case errors.Is(err, capture.ErrLabDown):
		fmt.Fprintf(stderr, "lab %s is down: the capture ends\n", name)
	case errors.Is(err, syscall.EPIPE):
		// The reader went away: the end the user asked for.
	case err != nil:
		return fmt.Errorf("capture ended: %w", err)
	case ferr != nil:
		return ferr
	}
	return nil
}

// captureSinks makes the outputs -w and --print ask for: lines on
// standard output, or pcapng to a file or standard output. finish
// closes the file (removing it when the capture never started).
func captureSinks(cmd *cobra.Command, f captureFlags) ([]capture.Sink, func(started bool) error, error) {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	fm := &capture.Formatter{Ether: f.ether, Verbose: f.verbose, Wrap: terminalWidth(stdout)}
	if f.write == "" {
		return []capture.Sink{capture.NewPrinter(stdout, fm)}, func(bool) error { return nil }, nil
	}
	var sinks []capture.Sink
	finish := func(bool) error { return nil }
	if f.write == "-" {
		sinks = append(sinks, capture.NewPcapng(stdout, true))
	} else {
		file, err := os.OpenFile(f.write, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("write the capture: %w", err)
		}
		sinks = append(sinks, capture.NewPcapng(file, false))
		finish = func(started bool) error {
			err := file.Close()
			if !started {
				os.Remove(f.write)
			}
			return err
		}
	}
	if f.print {
		w := stdout
		if f.write == "-" {
			w = stderr
		}
		sinks = append(sinks, capture.NewPrinter(w, fm))
	}
	return sinks, finish, nil
}

// labOpener opens a node's namespace for the capture if the lab owns
// it, and says when the lab is down.
func labOpener(labName string) func(string) (*node.Namespace, error) {
	return func(nodeName string) (*node.Namespace, error) {
		_, ns, err := lab.OpenNode(labName, nodeName)
		if errors.Is(err, lab.ErrNoState) {
			return nil, fmt.Errorf("%w: %w", capture.ErrLabDown, err)
		}
		return ns, err
	}
}

// allHosts lists, for --all, the hosts of the lab as applied now:
// those an up added since the capture started join it.
func allHosts(labName string) func() []capture.Selection {
	return func() []capture.Selection {
		l, err := lab.Applied(labName)
		if err != nil {
			return nil
		}
		sels, _ := capture.Resolve(l, nil, true, nil)
		return sels
	}
}

// kernelHas reports whether a node of the lab has an interface now,
// for interfaces made by hand that the lab does not know.
func kernelHas(labName string) func(nodeName, iface string) bool {
	return func(nodeName, iface string) bool {
		_, ns, err := lab.OpenNode(labName, nodeName)
		if err != nil {
			return false
		}
		defer ns.Close()
		_, err = ns.NL.LinkByName(iface)
		return err == nil
	}
}

// listening says what is being captured, once every socket is bound:
// a frame sent after this line is captured.
func listening(w io.Writer, sess *capture.Session) {
	names := sess.Interfaces()
	shown := names
	if len(shown) > 8 {
		shown = append(append([]string(nil), names[:8]...), fmt.Sprintf("... (%d interfaces)", len(names)))
	}
	if len(names) == 0 {
		fmt.Fprint(w, "listening on no interface yet")
	} else {
		fmt.Fprintf(w, "listening on %s", strings.Join(shown, ", "))
	}
	if waiting := sess.Waiting(); len(waiting) > 0 {
		fmt.Fprintf(w, "; waiting for %s", strings.Join(waiting, ", "))
	}
	fmt.Fprintf(w, ", up to %d bytes per frame (Ctrl-C to stop)\n", capture.Snaplen)
}
