package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// env describes the machine and the programs measured.
type env struct {
	date, nproc, mem, kernel, goVersion, topoCommit, mininet, loadBefore string
}

func machine(topo string) env {
	e := env{
		date:       time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		nproc:      fmt.Sprint(runtime.NumCPU()),
		loadBefore: loadavg(),
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, l := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kb); err == nil {
				e.mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
	}
	e.kernel = firstLine(exec.Command("uname", "-r").Output())
	e.goVersion = firstLine(exec.Command("go", "version").Output())
	if e.goVersion == "" {
		e.goVersion = runtime.Version()
	}
	commit := firstLine(exec.Command("git", "rev-parse", "--short", "HEAD").Output())
	if firstLine(exec.Command("git", "status", "--porcelain", "--", "cmd", "pkg").Output()) != "" {
		commit += " (with uncommitted changes in cmd/ or pkg/)"
	}
	e.topoCommit = commit
	e.mininet = firstLine(exec.Command("mn", "--version").CombinedOutput())
	return e
}

func (e env) line() string {
	return fmt.Sprintf("%s CPUs, %s, Linux %s, %s, topo %s, Mininet %s", e.nproc, e.mem, e.kernel, e.goVersion, e.topoCommit, e.mininet)
}

func firstLine(b []byte, err error) string {
	if err != nil {
		return ""
	}
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

type report struct {
	env              env
	runs, loopRuns   int
	builds           []*buildCase
	reach            *reachCase
	probes           []*probeCase
	scale            []*scaleCase
	capture          *captureCase
	cmds             []string
	problems, errors []string
	findings         []string
	linksSame        bool
	loadAfter        string
	took             time.Duration
	targets          []target
}

type target struct {
	what, measured string
	met            bool
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func yes(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**NOT met**"
}

func mib(kb int64) string { return fmt.Sprintf("%.0f MiB", float64(kb)/1024) }

// computeTargets compares the medians with the targets.
func (r *report) computeTargets() {
	r.targets = nil
	if len(r.builds) > 0 {
		c := r.builds[0]
		t, m, f := c.topoTotal.med(), c.mn.med(), c.floorWall.med()
		r.targets = append(r.targets,
			target{c.shape + " build+teardown ≥20× faster than Mininet",
				fmt.Sprintf("%.0f× (topo %ss, Mininet %ss)", ratio(m, t), fmtSec(t), fmtSec(m)), t > 0 && m > 0 && m/t >= 20},
			target{c.shape + " build+teardown within 2× of the kernel floor",
				fmt.Sprintf("%.2f× (topo %ss, floor %ss)", ratio(t, f), fmtSec(t), fmtSec(f)), t > 0 && f > 0 && t/f <= 2})
	}
	if c := r.reach; c != nil {
		t := c.topoCheck.med()
		mp := c.mnPing.med() - c.mnNone.med()
		loop := c.pingLoop.med()
		r.targets = append(r.targets,
			target{fmt.Sprintf("%d-host all pairs ≥300× faster than Mininet's pingall", c.hosts),
				fmt.Sprintf("%.0f× (topo check %ss, pingall %ss)", ratio(mp, t), fmtSec(t), fmtSec(mp)), t > 0 && mp > 0 && mp/t >= 300},
			target{fmt.Sprintf("%d-host all pairs ≥50× faster than an `ip netns exec … ping` loop", c.hosts),
				fmt.Sprintf("%.0f× (topo check %ss, loop %ss)", ratio(loop, t), fmtSec(t), fmtSec(loop)), t > 0 && loop > 0 && loop/t >= 50})
	}
	for _, c := range r.probes {
		r.targets = append(r.targets, c.targets()...)
	}
	for _, c := range r.scale {
		if c.hosts >= 4000 {
			r.targets = append(r.targets, target{
				fmt.Sprintf("%d hosts up and down without error, `ip netns list` empty of the lab afterwards", c.hosts),
				fmt.Sprintf("up %ss, down %ss, %d namespaces left", fmtSec(c.up), fmtSec(c.down), c.nsLeft),
				!c.upErr && !c.downErr && c.nsLeft == 0})
		}
	}
	for _, c := range r.scale {
		if c.hosts < 10000 {
			continue
		}
		n, e, f := c.noop.med(), c.execTrue.med(), c.execFloor.med()
		ok, total := answered(c.checkOK)
		r.targets = append(r.targets,
			target{fmt.Sprintf("%d hosts: up within 1.2× the floor", c.hosts),
				fmt.Sprintf("%.2f× (up %ss, floor %ss)", ratio(c.up, c.floorBuild), fmtSec(c.up), fmtSec(c.floorBuild)), !c.upErr && !c.floorErr && c.floorBuild > 0 && c.up <= 1.2*c.floorBuild},
			target{fmt.Sprintf("%d hosts: no-op up < 2 s", c.hosts), fmt.Sprintf("%ss (reading the lab, `bench/floor -observe`: %ss)", fmtSec(n), fmtSec(c.noopFloor.med())), len(c.noop) > 0 && n < 2},
			target{fmt.Sprintf("%d hosts: down < 5 s, nothing left", c.hosts),
				fmt.Sprintf("%ss; %d namespaces, %d mounts, %d processes left; kernel count back: %v", fmtSec(c.down), c.nsLeft, c.mounts, c.procs, c.kernelBack), !c.downErr && c.down < 5 && c.labFree && c.kernelBack},
			target{fmt.Sprintf("%d hosts: every checked pair answered", c.hosts), fmt.Sprintf("%d/%d", ok, total), total > 0 && ok == total},
			target{fmt.Sprintf("%d hosts: exec within 2× `ip netns exec`", c.hosts),
				fmt.Sprintf("%.1f× (topo exec %ss, ip netns exec %ss)", ratio(e, f), fmtSec(e), fmtSec(f)), e > 0 && f > 0 && e <= 2*f})
	}
	for _, c := range r.scale {
		if c.hosts >= 1000 && c.hosts < 4000 {
			n := c.noop.med()
			r.targets = append(r.targets, target{
				fmt.Sprintf("no-op `topo up` at %d hosts < 1 s", c.hosts),
				fmt.Sprintf("%ss", fmtSec(n)), len(c.noop) > 0 && n < 1})
		}
	}
	if t, ok := r.capture.target(); ok {
		r.targets = append(r.targets, t)
	}
}

func (r *report) allMet() bool {
	r.computeTargets()
	for _, t := range r.targets {
		if !t.met {
			return false
		}
	}
	return len(r.targets) > 0
}

func (r *report) markdown() string {
	r.computeTargets()
	var s strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&s, f+"\n", a...) }
	e := r.env
	p("# topo benchmark (`make bench`)")
	p("")
	p("Run %s; %d runs of each measurement, the median is shown (every run is listed below), except the ping loop (%d run: it alone takes minutes) and, at scale, topo's first up and down and the floor (one run each).", e.date, r.runs, r.loopRuns)
	p("The whole run took %s.", r.took.Round(time.Second))
	p("")
	p("- machine: %s CPUs, %s memory, Linux %s", e.nproc, e.mem, e.kernel)
	p("- %s; topo %s", e.goVersion, e.topoCommit)
	p("- Mininet %s (Debian's package), always `--switch lxbr --controller none` (Linux bridges, no Open vSwitch)", e.mininet)
	p("- load average (1, 5, 15 min) before: %s, after: %s — anything else running on the machine slows every tool; the ratios matter more than the seconds", e.loadBefore, r.loadAfter)
	p("")
	p("## Targets")
	p("")
	p("| target | measured (medians) | |")
	p("|---|---|---|")
	for _, t := range r.targets {
		p("| %s | %s | %s |", t.what, t.measured, yes(t.met))
	}
	p("")
	if len(r.builds) > 0 {
		p("## Build and teardown")
		p("")
		p("topo: `topo up FILE` then `topo down LAB` (two processes, wall time). Floor: `bench/floor`, one process that builds the same lab with the fewest netlink requests and deletes its namespaces. Mininet: `mn --switch lxbr --controller none --topo SHAPE --test none` (builds, then tears down).")
		p("")
		p("| topology | hosts / switches | topo up | topo down | topo total | floor build | floor teardown | floor total | Mininet | Mininet / topo | topo / floor |")
		p("|---|---|---|---|---|---|---|---|---|---|---|")
		for _, c := range r.builds {
			fb, ft, fw, tf := "–", "–", "–", "–"
			if c.withFloor {
				fb, ft, fw = fmtSec(c.floorBuild.med()), fmtSec(c.floorT.med()), fmtSec(c.floorWall.med())
				tf = fmt.Sprintf("%.2f×", ratio(c.topoTotal.med(), c.floorWall.med()))
			}
			p("| %s | %d / %d | %s | %s | %s | %s | %s | %s | %s | %.0f× | %s |", c.shape, c.hosts, c.switches,
				fmtSec(c.topoUp.med()), fmtSec(c.topoDown.med()), fmtSec(c.topoTotal.med()), fb, ft, fw,
				fmtSec(c.mn.med()), ratio(c.mn.med(), c.topoTotal.med()), tf)
		}
	}
	if len(r.builds) > 0 {
		p("")
		p("Peak memory of `topo up` on %s: %s.", r.builds[0].shape, mib(r.builds[0].topoUpRSS))
	}
	if c := r.reach; c != nil {
		mp := c.mnPing.med() - c.mnNone.med()
		t := c.topoCheck.med()
		p("")
		p("## All-pairs reachability, %s (%d hosts, %d ordered pairs)", c.shape, c.hosts, c.pairs)
		p("")
		p("The floor of these pairs (raw ICMP sockets, no topo package) is in the next section, on the same shape.")
		p("")
		p("| method | time | pairs answered | ratio to topo check |")
		p("|---|---|---|---|")
		p("| `topo check LAB` (lab up) | %ss | %s | 1× |", fmtSec(t), strings.Join(c.checkOK, ", "))
		p("| `ip netns exec LAB-hX ping -c1 -W1 ADDR`, every pair in turn (%d run(s); with Mininet's neighbour table thresholds) | %ss | %s | %.0f× |", len(c.pingLoop), fmtSec(c.pingLoop.med()), strings.Join(c.loopOK, ", "), ratio(c.pingLoop.med(), t))
		p("| Mininet `--test pingall` minus `--test none` | %ss (%ss − %ss) | %s | %.0f× |", fmtSec(mp), fmtSec(c.mnPing.med()), fmtSec(c.mnNone.med()), strings.Join(c.mnOK, ", "), ratio(mp, t))
		p("")
		p("Peak memory of `topo check`: %s.", mib(c.checkRSS))
	}
	r.probeMarkdown(p)
	if len(r.scale) > 0 {
		p("")
		p("## topo at scale")
		p("")
		row := func(name string, f func(c *scaleCase) string) {
			cells := []string{name}
			for _, c := range r.scale {
				cells = append(cells, f(c))
			}
			p("| %s |", strings.Join(cells, " | "))
		}
		row("", func(c *scaleCase) string { return fmt.Sprintf("`topo gen %s`", c.gen) })
		p("|%s", strings.Repeat("---|", len(r.scale)+1))
		row("hosts / switches", func(c *scaleCase) string { return fmt.Sprintf("%d / %d", c.hosts, c.switches) })
		row("`topo up` (peak RSS; floor: `bench/floor` build, below)", func(c *scaleCase) string {
			if c.floorErr || c.floorBuild == 0 {
				return fmt.Sprintf("%ss (%s)", fmtSec(c.up), mib(c.upRSS))
			}
			return fmt.Sprintf("%ss (%s); %.2f× the floor", fmtSec(c.up), mib(c.upRSS), ratio(c.up, c.floorBuild))
		})
		row("topo's own summary of that up", func(c *scaleCase) string { return c.upSummary })
		row("namespaces in `ip netns list` once up", func(c *scaleCase) string { return fmt.Sprint(c.nsAfterUp) })
		row("no-op `topo up` (peak RSS; floor: `bench/floor -observe`, the same reading of every namespace with no topo package, taking turns)", func(c *scaleCase) string {
			if len(c.noopFloor) == 0 {
				return fmt.Sprintf("%ss (%s)", fmtSec(c.noop.med()), mib(c.noopRSS))
			}
			return fmt.Sprintf("%ss (%s); floor %ss (%.2f×)", fmtSec(c.noop.med()), mib(c.noopRSS), fmtSec(c.noopFloor.med()), ratio(c.noop.med(), c.noopFloor.med()))
		})
		row("`topo exec --lab LAB hN -- true` (floor: `ip netns exec LAB-hN true`, taking turns)", func(c *scaleCase) string {
			return fmt.Sprintf("%ss (on %s); floor %ss (%.1f×)", fmtSec(c.execTrue.med()), c.execNode, fmtSec(c.execFloor.med()), ratio(c.execTrue.med(), c.execFloor.med()))
		})
		row("`topo check FILE` (peak RSS; floor on all pairs of smaller labs: see the ICMP floor above)", func(c *scaleCase) string {
			return fmt.Sprintf("%ss (%s), answered %s", fmtSec(c.check.med()), mib(c.checkRSS), strings.Join(c.checkOK, ", "))
		})
		row("pairs checked", func(c *scaleCase) string { return c.checkPairs })
		row("`topo ui`: share of one core with no page / one page open, from its first picture on (events it got then)", func(c *scaleCase) string {
			if c.ui == nil || c.ui.err != nil {
				return "failed"
			}
			return fmt.Sprintf("%.1f%% / %.1f%% (%d in %s)", c.ui.idle, c.ui.page, c.ui.events, uiWindow)
		})
		row("`topo down` (peak RSS; floor: `bench/floor` teardown, below)", func(c *scaleCase) string {
			if c.floorErr || c.floorTeardown == 0 {
				return fmt.Sprintf("%ss (%s)", fmtSec(c.down), mib(c.downRSS))
			}
			return fmt.Sprintf("%ss (%s); %.1f× the floor", fmtSec(c.down), mib(c.downRSS), ratio(c.down, c.floorTeardown))
		})
		row("floor, one run: build / teardown (topo up / floor build)", func(c *scaleCase) string {
			if c.floorErr {
				return "failed"
			}
			return fmt.Sprintf("%ss / %ss (%.2f×)", fmtSec(c.floorBuild), fmtSec(c.floorTeardown), ratio(c.up, c.floorBuild))
		})
		row("after down: lab entries in `ip netns list`", func(c *scaleCase) string { return fmt.Sprint(c.nsLeft) })
		row("after down: mounts / processes / open files still on the lab's namespaces", func(c *scaleCase) string {
			return fmt.Sprintf("%d mounts, %d processes", c.mounts, c.procs)
		})
		row("kernel network namespaces (net_namespace slab): before up → up → right after down → settled (→ after one namespace of the bench's own made and deleted, which runs the kernel's cleanup again: it frees namespaces that had links only then)", func(c *scaleCase) string {
			out := fmt.Sprintf("%d → %d → %d → %d (%.1fs after down)", c.slabBase, c.slabUp, c.slabDown, c.slabSettled, c.settleS)
			if c.kicked {
				out += fmt.Sprintf(" → %d", c.slabKicked)
			}
			return out
		})
		row("released", func(c *scaleCase) string {
			switch {
			case !c.labFree:
				return "**NO**: the lab's namespaces are still held"
			case c.kernelBack:
				return "yes: nothing holds the lab's namespaces and the kernel's count is back to where it was"
			default:
				n := c.slabSettled
				if c.kicked {
					n = c.slabKicked
				}
				return fmt.Sprintf("nothing holds the lab's namespaces; the kernel's count stayed %d above where it was (the machine-wide count includes other users' namespaces)", n-c.slabBase)
			}
		})
	}
	r.capture.markdown(p)
	p("")
	p("## Every run (seconds)")
	p("")
	for _, c := range r.builds {
		p("- %s: topo up %s; topo down %s; Mininet %s", c.shape, c.topoUp, c.topoDown, c.mn)
		if c.withFloor {
			p("- %s floor: process %s; build %s; teardown %s", c.shape, c.floorWall, c.floorBuild, c.floorT)
		}
	}
	if c := r.reach; c != nil {
		p("- %s: topo check %s; ping loop %s; Mininet none %s; Mininet pingall %s", c.shape, c.topoCheck, c.pingLoop, c.mnNone, c.mnPing)
	}
	for _, c := range r.probes {
		p("- %s: topo check %s; floor %s (probing %s); ping loop %s", c.name, c.check, c.floorWall, c.floorPing, c.loop)
	}
	for _, c := range r.scale {
		p("- %s: no-op up %s; exec true %s (ip netns exec %s); check %s", c.gen, c.noop, c.execTrue, c.execFloor, c.check)
	}
	p("")
	p("## Exact commands")
	p("")
	p("Labs are named `%s-KIND-ARGS` and the floor's namespaces `%sf-NODE`, unique to the run; LAB.yaml is the output of the `topo gen` line before it.", "benchPID", "benchPID")
	p("")
	p("```")
	for _, c := range r.cmds {
		p("%s", c)
	}
	p("```")
	p("")
	p("## Safety")
	p("")
	if r.linksSame {
		p("- `ip -br link` in the root namespace: identical before and after the bench.")
	} else {
		p("- `ip -br link` in the root namespace: **DIFFERENT** before and after the bench.")
	}
	p("- Mininet ran in a cgroup of its own; whatever it left there was killed by pid; root-namespace links it left (Mininet's names, absent before) were deleted; the sysctls it raises (`fixLimits`: neighbour table thresholds, socket buffers, pty.max, …) were restored after every run.")
	p("- `mn -c` is not run: it kills every `ping`, `controller`, `mnexec`… process on the machine by name and deletes /tmp/*.log and /tmp/*.out, which on a shared machine are not Mininet's.")
	if len(r.problems) == 0 {
		p("- Problems: none.")
	}
	for _, pr := range r.problems {
		p("- PROBLEM: %s", pr)
	}
	for _, er := range r.errors {
		p("- FAILED MEASUREMENT: %s", er)
	}
	if len(r.findings) > 0 {
		p("")
		p("## Findings")
		p("")
		for _, f := range r.findings {
			p("- %s", f)
		}
	}
	return s.String()
}

// answered sums "ok/total" strings.
func answered(runs []string) (ok, total int) {
	for _, s := range runs {
		var a, b int
		if _, err := fmt.Sscanf(s, "%d/%d", &a, &b); err == nil {
			ok, total = ok+a, total+b
		}
	}
	return ok, total
}
