// Command driver is `make bench`: it times topo, Mininet and the
// kernel floor (bench/floor) on the same generated topologies, prints
// a table and writes it to bench/results.md. Run by bench/run, which
// installs what it needs and builds the binaries; it must run as root
// on a machine where it may create network namespaces.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	topo := flag.String("topo", "bin/topo", "the topo binary")
	floor := flag.String("floor", "bin/floor", "the floor binary")
	id := flag.String("id", fmt.Sprintf("bench%d", os.Getpid()%100000), "prefix of every lab and namespace of this run")
	runs := flag.Int("runs", 3, "runs per measurement (the median is reported)")
	loopRuns := flag.Int("loop-runs", 1, "runs of the ip netns exec ping loop (minutes each)")
	out := flag.String("out", "bench/results.md", "where to write the results")
	work := flag.String("work", "bench/out", "directory for generated labs and logs")
	quick := flag.Bool("quick", false, "one run, small scale labs (for trying the harness; results not written)")
	strict := flag.Bool("strict", false, "exit 1 when a target is missed")
	captureOnly := flag.Bool("capture-only", false, "only compare topo capture with tcpdump")
	huge := flag.Bool("huge", false, "also topo gen tree 3 22 (10,648 hosts) at scale, with 1,000 pairs checked (several minutes; needs an idle machine)")
	probeOnly := flag.Bool("probe-only", false, "only compare topo check with the ICMP floor")
	reachOnly := flag.Bool("reach-only", false, "only all pairs: topo check against Mininet's pingall, an ip netns exec ping loop and the ICMP floor")
	captureSecs := flag.Int("capture-seconds", 10, "seconds of iperf3 per capture run")
	uiOnly := flag.Bool("ui-only", false, "only what topo ui costs with a page open on 1,000 hosts")
	uiLab := flag.String("ui-lab", "", "with -ui-only: measure this lab, already up, instead of building one")
	flag.DurationVar(&uiWindow, "ui-window", uiWindow, "how long topo ui's CPU time is measured, with no page and with one")
	flag.Parse()

	dir := filepath.Join(*work, *id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	logf, _ := os.Create(filepath.Join(dir, "bench.log"))
	w := io.MultiWriter(os.Stdout, logf)
	b := &bench{
		topo: *topo, floor: *floor, id: *id, runs: *runs, loopRuns: *loopRuns, work: dir,
		labs: map[string]bool{},
		say:  func(f string, a ...any) { fmt.Fprintf(w, f+"\n", a...) },
	}
	b.r = newRunner(dir, w)
	if *quick {
		b.runs, b.loopRuns = 1, 1
	}
	b.captureOnly, b.captureSecs, b.probeOnly, b.huge = *captureOnly, *captureSecs, *probeOnly, *huge
	b.reachOnly = *reachOnly
	if *uiOnly {
		os.Exit(b.uiOnly(*uiLab, *quick))
	}
	code := b.main(*quick, *out, *strict, w)
	os.Exit(code)
}

func (b *bench) main(quick bool, out string, strict bool, w io.Writer) int {
	started := time.Now()
	env := machine(b.topo)
	var err error
	if b.linksBefore, err = rootLinks(); err != nil {
		b.say("bench: ip -br link: %v", err)
		return 1
	}
	b.sysctls = readSysctls()
	b.slabStart = netnsObjects()
	if b.jail, err = newJail("topo-" + b.id); err != nil {
		b.say("bench: no cgroup for Mininet (%v): its leftover processes cannot be tracked; not running", err)
		return 1
	}
	cleanup := func() {
		b.downAll()
		if out, err := exec.Command(b.floor, "-clean", "-prefix", b.id+"f-").CombinedOutput(); err != nil {
			b.problem("floor -clean: %v: %s", err, out)
		}
		b.jail.remove()
		if removed, _ := removeMininetLeftovers(b.linksBefore); len(removed) > 0 {
			b.problem("removed Mininet leftovers: %s", strings.Join(removed, " "))
		}
		if err := restoreSysctls(b.sysctls); err != nil {
			b.problem("%v", err)
		}
	}
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigc
		b.say("bench: %v: cleaning up", s)
		cleanup()
		os.Exit(1)
	}()

	b.say("== topo bench %s: %s; %d runs each", b.id, env.line(), b.runs)
	rep := &report{env: env, runs: b.runs, loopRuns: b.loopRuns}

	tree, linear, reach := []string{"2", "16"}, []string{"100"}, []string{"2", "8"}
	big := []struct {
		kind    string
		args    []string
		samples int
	}{{"tree", []string{"3", "10"}, 500}, {"tree", []string{"2", "64"}, 500}}
	if b.huge {
		big = append(big, struct {
			kind    string
			args    []string
			samples int
		}{"tree", []string{"3", "22"}, 1000})
	}
	if quick {
		tree, linear, reach = []string{"2", "4"}, []string{"10"}, []string{"2", "3"}
		big[0].args, big[1].args = []string{"2", "10"}, []string{"2", "20"}
		big[0].samples, big[1].samples = 50, 50
	}

	if b.probeOnly {
		b.say("== all pairs against the ICMP floor")
		rep.probes = b.probeLabs(quick)
	}
	if b.reachOnly {
		b.say("== all-pairs reachability")
		rep.reach = b.reachability("tree", reach)
		b.say("== all pairs against the ICMP floor")
		rep.probes = b.probeLabs(quick)
	}
	if !b.captureOnly && !b.probeOnly && !b.reachOnly {
		b.say("== build and teardown: topo, the kernel floor, Mininet")
		rep.builds = append(rep.builds, b.buildAndTeardown("tree", tree, true))
		rep.builds = append(rep.builds, b.buildAndTeardown("linear", linear, true))
		b.say("== all-pairs reachability")
		rep.reach = b.reachability("tree", reach)
		b.say("== all pairs against the ICMP floor")
		rep.probes = b.probeLabs(quick)
		b.say("== topo at scale")
		for _, s := range big {
			rep.scale = append(rep.scale, b.scale(s.kind, s.args, s.samples))
		}
	}
	if !b.probeOnly && !b.reachOnly {
		b.say("== topo capture against tcpdump")
		secs := b.captureSecs
		if quick {
			secs = 3
		}
		rep.capture = b.captureBench(secs)
	}

	cleanup()
	after, err := rootLinks()
	if err != nil || after != b.linksBefore {
		b.problem("the root namespace's links differ from before the bench:\nbefore:\n%s\nafter:\n%s", b.linksBefore, after)
	}
	rep.cmds = b.r.cmds
	rep.problems, rep.errors, rep.findings = b.problems, b.errors, b.findings
	rep.linksSame = err == nil && after == b.linksBefore
	rep.loadAfter = loadavg()
	rep.took = time.Since(started)
	text := rep.markdown()
	fmt.Fprintln(w)
	fmt.Fprint(w, text)
	switch {
	case b.captureOnly:
		out = filepath.Join(b.work, "capture-results.md") // a part: bench/results.md stays whole
	case b.probeOnly:
		out = filepath.Join(b.work, "probe-results.md")
	case b.reachOnly:
		out = filepath.Join(b.work, "reach-results.md")
	}
	if !quick {
		if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
			b.say("bench: %v", err)
			return 1
		}
		b.say("\nwritten to %s (logs in %s)", out, b.work)
	}
	switch {
	case len(b.problems) > 0:
		b.say("bench: FAILED: %d safety problems (see above)", len(b.problems))
		return 1
	case len(b.errors) > 0:
		b.say("bench: FAILED: %d measurements failed (see above)", len(b.errors))
		return 1
	case strict && !rep.allMet():
		b.say("bench: some targets are not met")
		return 1
	}
	return 0
}
