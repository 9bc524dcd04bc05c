package main

import (
	"fmt"
	"strings"
	"time"
)

// buildCase is build + teardown of one shape by topo, Mininet and
// (for the tree) the floor.
type buildCase struct {
	shape              string // Mininet's name: tree,2,16
	hosts, switches    int
	topoUp, topoDown   series
	topoTotal          series
	topoUpRSS          int64
	floorBuild, floorT series
	floorWall          series
	mn                 series
	withFloor          bool
}

// buildAndTeardown measures one shape, interleaving the tools run by
// run so that the machine's noise falls on all of them alike.
func (b *bench) buildAndTeardown(kind string, args []string, withFloor bool) *buildCase {
	shape := kind + "," + strings.Join(args, ",")
	lab := fmt.Sprintf("%s-%s-%s", b.id, kind, strings.Join(args, "-"))
	c := &buildCase{shape: shape, withFloor: withFloor}
	path, l, err := b.gen(lab, nil, kind, args...)
	if err != nil {
		b.fail("%s: %v", shape, err)
		return c
	}
	c.hosts, c.switches = len(l.Hosts), len(l.Switches)
	for i := 0; i < b.runs; i++ {
		base := netnsObjects()
		up := b.up(path, lab)
		down := b.down(lab)
		if up.err != nil || down.err != nil {
			b.fail("%s topo run %d: %v %v", shape, i+1, up.err, down.err)
			b.downAll()
		} else {
			c.topoUp = append(c.topoUp, up.wall.Seconds())
			c.topoDown = append(c.topoDown, down.wall.Seconds())
			c.topoTotal = append(c.topoTotal, (up.wall + down.wall).Seconds())
			c.topoUpRSS = max(c.topoUpRSS, up.maxRSS)
		}
		b.say("  %s run %d: topo up %.3fs + down %.3fs", shape, i+1, up.wall.Seconds(), down.wall.Seconds())
		b.settleAfter(base)

		if withFloor {
			prefix := b.id + "f-"
			fl := b.r.run("bench/floor -prefix "+prefix+" "+lab+".yaml", nil, b.floor, "-prefix", prefix, path)
			var fr struct{ BuildS, TeardownS float64 }
			if fl.err == nil {
				_, err := fmt.Sscanf(jsonField(fl.out, "build_s")+" "+jsonField(fl.out, "teardown_s"), "%g %g", &fr.BuildS, &fr.TeardownS)
				if err != nil {
					fl.err = fmt.Errorf("floor output %q: %w", fl.out, err)
				}
			}
			if fl.err != nil {
				b.fail("%s floor run %d: %v", shape, i+1, fl.err)
			} else {
				c.floorBuild = append(c.floorBuild, fr.BuildS)
				c.floorT = append(c.floorT, fr.TeardownS)
				c.floorWall = append(c.floorWall, fl.wall.Seconds())
			}
			b.say("  %s run %d: floor %.3fs (build %.3fs, teardown %.3fs)", shape, i+1, fl.wall.Seconds(), fr.BuildS, fr.TeardownS)
			b.settleAfter(base)
		}

		mn := b.mininet(shape, "none")
		if mn.err != nil {
			b.fail("%s Mininet run %d: %v", shape, i+1, mn.err)
		} else {
			c.mn = append(c.mn, mn.wall.Seconds())
		}
		b.say("  %s run %d: Mininet %.2fs", shape, i+1, mn.wall.Seconds())
		b.settleAfter(base)
	}
	return c
}

// jsonField pulls one number out of floor's one-line JSON.
func jsonField(js, key string) string {
	i := strings.Index(js, `"`+key+`":`)
	if i < 0 {
		return ""
	}
	rest := js[i+len(key)+3:]
	if j := strings.IndexAny(rest, ",}"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// reachCase is all-pairs reachability of one lab.
type reachCase struct {
	shape           string
	hosts, pairs    int
	topoCheck       series
	checkRSS        int64
	checkOK         []string // "ok/total" per run
	pingLoop        series
	loopOK          []string
	mnNone, mnPing  series
	mnOK            []string
	mnPingOnlyNotes string
}

func (b *bench) reachability(kind string, args []string) *reachCase {
	shape := kind + "," + strings.Join(args, ",")
	lab := fmt.Sprintf("%s-%s-%s", b.id, kind, strings.Join(args, "-"))
	c := &reachCase{shape: shape}
	path, l, err := b.gen(lab, nil, kind, args...)
	if err != nil {
		b.fail("%s: %v", shape, err)
		return c
	}
	c.hosts = len(l.Hosts)
	c.pairs = c.hosts * (c.hosts - 1)
	base := netnsObjects()
	if up := b.up(path, lab); up.err != nil {
		b.fail("%s: %v", shape, up.err)
		b.downAll()
		return c
	}
	for i := 0; i < b.runs; i++ {
		nb := neighbours()
		ck := b.r.run("topo check "+lab, nil, b.topo, "check", lab)
		na := neighbours()
		ok, total, found := received(ck.out)
		if !found {
			b.fail("%s topo check run %d: %v (no result line)", shape, i+1, ck.err)
			continue
		}
		if ok != total {
			b.finding("%s topo check run %d: %d of %d pairs answered; %s", shape, i+1, ok, total, nb.during(na))
		}
		c.topoCheck = append(c.topoCheck, ck.wall.Seconds())
		c.checkRSS = max(c.checkRSS, ck.maxRSS)
		c.checkOK = append(c.checkOK, fmt.Sprintf("%d/%d", ok, total))
		b.say("  %s run %d: topo check %.3fs (%d/%d; %s)", shape, i+1, ck.wall.Seconds(), ok, total, nb.during(na))
	}
	for i := 0; i < b.loopRuns; i++ {
		d, ok, total := b.pingLoop(lab, l)
		c.pingLoop = append(c.pingLoop, d.Seconds())
		c.loopOK = append(c.loopOK, fmt.Sprintf("%d/%d", ok, total))
		if ok != total {
			b.finding("%s ping loop run %d: %d of %d pairs answered", shape, i+1, ok, total)
		}
		b.say("  %s run %d: ping loop %.1fs (%d/%d)", shape, i+1, d.Seconds(), ok, total)
	}
	if res := b.down(lab); res.err != nil {
		b.fail("%s: %v", shape, res.err)
	}
	b.settleAfter(base)
	for i := 0; i < b.runs; i++ {
		none := b.mininet(shape, "none")
		b.settleAfter(base)
		ping := b.mininet(shape, "pingall")
		b.settleAfter(base)
		ok, total, found := received(ping.out)
		if none.err != nil || ping.err != nil || !found {
			b.fail("%s Mininet run %d: %v %v (found result line: %v)", shape, i+1, none.err, ping.err, found)
			continue
		}
		if ok != total {
			b.finding("%s Mininet pingall run %d: %d of %d pairs answered", shape, i+1, ok, total)
		}
		c.mnNone = append(c.mnNone, none.wall.Seconds())
		c.mnPing = append(c.mnPing, ping.wall.Seconds())
		c.mnOK = append(c.mnOK, fmt.Sprintf("%d/%d", ok, total))
		b.say("  %s run %d: Mininet --test none %.1fs, --test pingall %.1fs (%d/%d)", shape, i+1, none.wall.Seconds(), ping.wall.Seconds(), ok, total)
	}
	return c
}

// scaleCase is topo alone on a big lab.
type scaleCase struct {
	gen                       string // topo gen arguments
	hosts, switches           int
	up, down                  float64
	upRSS, downRSS            int64
	upSummary                 string
	noop                      series
	noopRSS                   int64
	noopFloor                 series // bench/floor -observe, taking turns with the no-op up
	execTrue                  series
	execFloor                 series // ip netns exec NS true, the same node
	execNode                  string
	check                     series
	checkPairs                string
	checkOK                   []string
	checkRSS                  int64
	nsAfterUp, nsLeft         int
	mounts, procs             int
	slabBase, slabUp          int
	slabDown, slabSettled     int
	kicked                    bool // the kernel's cleanup was run again (kickCleanup)
	slabKicked                int  // the count settled after that
	settleS                   float64
	floorBuild, floorTeardown float64
	floorErr                  bool
	upErr, downErr            bool
	labFree, kernelBack       bool
	ui                        *uiCase
}

func (b *bench) scale(kind string, args []string, samples int) *scaleCase {
	lab := fmt.Sprintf("%s-%s-%s", b.id, kind, strings.Join(args, "-"))
	c := &scaleCase{gen: kind + " " + strings.Join(args, " ")}
	// The shape first, to draw the sample of pairs from its hosts.
	_, l, err := b.gen(lab, nil, kind, args...)
	if err != nil {
		b.fail("%s: %v", c.gen, err)
		c.upErr = true
		return c
	}
	c.hosts, c.switches = len(l.Hosts), len(l.Switches)
	path, _, err := b.gen(lab, samplePairs(l.Hosts, samples), kind, args...)
	if err != nil {
		b.fail("%s: %v", c.gen, err)
		c.upErr = true
		return c
	}
	c.checkPairs = fmt.Sprintf("%d random pairs (fixed seed) as the file's expect: list", samples)
	// Let the kernel finish freeing earlier runs' namespaces (cleanup
	// pauses for seconds on a busy machine) so the count below is a
	// fair "before".
	settle(b.slabStart+14, 60*time.Second, 10*time.Second)
	c.slabBase = netnsObjects()
	up := b.up(path, lab)
	c.up, c.upRSS = up.wall.Seconds(), up.maxRSS
	if m := upSummary.FindStringSubmatch(up.out); m != nil {
		c.upSummary = m[1]
	}
	c.nsAfterUp = netnsWithPrefix(lab + "-")
	c.slabUp = netnsObjects()
	b.say("  %s: up %.2fs (%s), %d namespaces listed", c.gen, c.up, c.upSummary, c.nsAfterUp)
	if up.err != nil {
		b.fail("%s up: %v", c.gen, up.err)
		c.upErr = true
	} else {
		for i := 0; i < b.runs; i++ {
			res := b.up(path, lab)
			if res.err != nil || !strings.Contains(res.out, "nothing to change") {
				b.fail("%s no-op up run %d: %v: %s", c.gen, i+1, res.err, lastLine(res.out))
			}
			c.noop = append(c.noop, res.wall.Seconds())
			c.noopRSS = max(c.noopRSS, res.maxRSS)
			fl := b.r.run("bench/floor -observe "+lab+"- "+lab+".yaml", nil, b.floor, "-observe", lab+"-", path)
			var s float64
			if fl.err == nil {
				_, fl.err = fmt.Sscanf(jsonField(fl.out, "observe_s"), "%g", &s)
			}
			if fl.err != nil {
				b.fail("%s floor -observe run %d: %v: %s", c.gen, i+1, fl.err, lastLine(fl.out))
				continue
			}
			c.noopFloor = append(c.noopFloor, fl.wall.Seconds())
		}
		b.say("  %s: no-op up %s s; the observe floor %s s", c.gen, c.noop, c.noopFloor)
		c.execNode = l.Hosts[len(l.Hosts)/2]
		for i := 0; i < max(b.runs, 5); i++ {
			res := b.r.run("topo exec --lab "+lab+" "+c.execNode+" -- true", nil, b.topo, "exec", "--lab", lab, c.execNode, "--", "true")
			if res.err != nil {
				b.fail("%s exec run %d: %v", c.gen, i+1, res.err)
				continue
			}
			c.execTrue = append(c.execTrue, res.wall.Seconds())
			ns := lab + "-" + c.execNode
			fl := b.r.run("ip netns exec "+ns+" true", nil, "ip", "netns", "exec", ns, "true")
			if fl.err != nil {
				b.fail("%s ip netns exec run %d: %v", c.gen, i+1, fl.err)
				continue
			}
			c.execFloor = append(c.execFloor, fl.wall.Seconds())
		}
		b.say("  %s: exec true %s s; ip netns exec %s s", c.gen, c.execTrue, c.execFloor)
		for i := 0; i < b.runs; i++ {
			nb := neighbours()
			res := b.r.run("topo check "+lab+".yaml", nil, b.topo, "check", path)
			na := neighbours()
			ok, total, found := received(res.out)
			if !found {
				b.fail("%s check run %d: %v (no result line)", c.gen, i+1, res.err)
				continue
			}
			if ok != total {
				b.finding("%s check run %d: %d of %d pairs answered; %s", c.gen, i+1, ok, total, nb.during(na))
			}
			c.checkOK = append(c.checkOK, fmt.Sprintf("%d/%d", ok, total))
			c.check = append(c.check, res.wall.Seconds())
			c.checkRSS = max(c.checkRSS, res.maxRSS)
		}
		b.say("  %s: check %s s (%s)", c.gen, c.check, strings.Join(c.checkOK, ", "))
		c.ui = b.uiCost(lab, "")
		if c.ui.err != nil {
			b.fail("%s topo ui: %v", c.gen, c.ui.err)
		}
		b.say("  %s: topo ui: %.1f%% of a core with no page, %.1f%% with one page open (%d events in %s)",
			c.gen, c.ui.idle, c.ui.page, c.ui.events, uiWindow)
	}
	inodes := labInodes(lab)
	down := b.down(lab)
	c.down, c.downRSS = down.wall.Seconds(), down.maxRSS
	if down.err != nil {
		b.fail("%s down: %v", c.gen, down.err)
		c.downErr = true
	}
	c.slabDown = netnsObjects()
	c.nsLeft = netnsWithPrefix(lab + "-")
	c.mounts, c.procs = holders(inodes)
	d, n := settle(c.slabBase+14, 180*time.Second, 10*time.Second)
	c.settleS, c.slabSettled = d.Seconds(), n
	if n > c.slabBase+14 {
		// Namespaces that had links are freed only by the kernel's next
		// cleanup run (bench/floor's are too): one namespace of the
		// bench's own, made and deleted, runs it.
		c.kicked = true
		kickCleanup(b.id + "-kick")
		_, c.slabKicked = settle(c.slabBase+14, 60*time.Second, 5*time.Second)
		n = c.slabKicked
	}
	c.labFree = c.nsLeft == 0 && c.mounts == 0 && c.procs == 0
	c.kernelBack = n <= c.slabBase+14
	b.say("  %s: down %.2fs; left: %d in ip netns list, %d mounts, %d processes; kernel namespaces %d before up, %d up, %d after down, %d after %.1fs, %d after the kernel's cleanup ran again",
		c.gen, c.down, c.nsLeft, c.mounts, c.procs, c.slabBase, c.slabUp, c.slabDown, c.slabSettled, c.settleS, n)

	// The floor on the same lab, once: how much of topo's time the
	// kernel needs anyway.
	prefix := b.id + "f-"
	fl := b.r.run("bench/floor -prefix "+prefix+" "+lab+".yaml", nil, b.floor, "-prefix", prefix, path)
	if fl.err == nil {
		_, fl.err = fmt.Sscanf(jsonField(fl.out, "build_s")+" "+jsonField(fl.out, "teardown_s"), "%g %g", &c.floorBuild, &c.floorTeardown)
	}
	if fl.err != nil {
		b.fail("%s floor: %v", c.gen, fl.err)
		c.floorErr = true
	}
	b.say("  %s: floor build %.2fs, teardown %.2fs", c.gen, c.floorBuild, c.floorTeardown)
	b.settleAfter(c.slabBase)
	return c
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
