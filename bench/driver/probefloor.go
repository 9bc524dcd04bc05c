package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/topo-lab/topo/bench/internal/genfile"
)

// probeCase is `topo check LAB` against the ICMP floor (`floor -ping`)
// on the same running lab, all pairs.
type probeCase struct {
	name, desc   string
	hosts, pairs int
	check        series
	checkOK      []string
	floorWall    series // the floor process, start to exit
	floorPing    series // its probing alone (sockets already open)
	floorOK      []string
	loop         series
	loopOK       []string
}

// probeLabs are the labs of the comparison: the flat tree of the
// all-pairs section, a star of hosts around one router, and a chain of
// four routers. The routed ones are written by the bench (topo gen has
// no routers).
func (b *bench) probeLabs(quick bool) []*probeCase {
	type spec struct {
		name, desc, kind string
		args             []string
		text             func(lab string) string
		loop             bool
	}
	star, chain, tree := 24, 6, []string{"2", "8"}
	if quick {
		star, chain, tree = 4, 1, []string{"2", "3"}
	}
	specs := []spec{
		{name: "tree," + strings.Join(tree, ","), desc: "one LAN", kind: "tree", args: tree},
		{name: fmt.Sprintf("routed star of %d", star), desc: fmt.Sprintf("%d hosts, each on its own /24, around one forwarding router", star),
			text: func(lab string) string { return genfile.RoutedStar(lab, star) }, loop: true},
		{name: "chain of 4 routers", desc: fmt.Sprintf("4 routers in a line, %d hosts on a /24 each per router", chain),
			text: func(lab string) string { return genfile.RouterChain(lab, 4, chain) }},
	}
	var out []*probeCase
	for i, s := range specs {
		lab := fmt.Sprintf("%s-probe%d", b.id, i+1)
		var path string
		var l *genfile.Lab
		var err error
		if s.text != nil {
			path = filepath.Join(b.work, lab+".yaml")
			b.r.note(fmt.Sprintf("bench writes %s.yaml: %s", lab, s.desc))
			if err = os.WriteFile(path, []byte(s.text(lab)), 0o644); err == nil {
				l, err = genfile.Load(path)
			}
		} else {
			path, l, err = b.gen(lab, nil, s.kind, s.args...)
		}
		c := &probeCase{name: s.name, desc: s.desc}
		out = append(out, c)
		if err != nil {
			b.fail("%s: %v", s.name, err)
			continue
		}
		b.probeFloor(c, lab, path, l, s.loop)
	}
	return out
}

// probeFloor ups the lab, takes turns between topo check and the floor
// run by run, runs the ping loop when asked, and takes the lab down.
func (b *bench) probeFloor(c *probeCase, lab, path string, l *genfile.Lab, loop bool) {
	c.hosts = len(l.Hosts)
	base := netnsObjects()
	if up := b.up(path, lab); up.err != nil {
		b.fail("%s: %v", c.name, up.err)
		b.downAll()
		return
	}
	for i := 0; i < b.runs; i++ {
		ck := b.r.run("topo check "+lab, nil, b.topo, "check", lab)
		ok, total, found := received(ck.out)
		if !found {
			b.fail("%s topo check run %d: %v (no result line)", c.name, i+1, ck.err)
		} else {
			c.pairs = total
			c.check = append(c.check, ck.wall.Seconds())
			c.checkOK = append(c.checkOK, fmt.Sprintf("%d/%d", ok, total))
			if ok != total {
				b.finding("%s topo check run %d: %d of %d pairs answered", c.name, i+1, ok, total)
			}
		}
		fl := b.r.run("bench/floor -ping "+lab+"- "+lab+".yaml", nil, b.floor, "-ping", lab+"-", path)
		var pingS float64
		var fok, ftotal int
		if fl.err == nil {
			_, fl.err = fmt.Sscanf(jsonField(fl.out, "ping_s")+" "+jsonField(fl.out, "answered")+" "+jsonField(fl.out, "pairs"), "%g %d %d", &pingS, &fok, &ftotal)
		}
		if fl.err != nil {
			b.fail("%s floor -ping run %d: %v: %s", c.name, i+1, fl.err, fl.out)
		} else {
			c.floorWall = append(c.floorWall, fl.wall.Seconds())
			c.floorPing = append(c.floorPing, pingS)
			c.floorOK = append(c.floorOK, fmt.Sprintf("%d/%d", fok, ftotal))
			if found && ftotal != total {
				b.fail("%s: the floor probed %d pairs, topo check %d: not the same pairs", c.name, ftotal, total)
			}
		}
		b.say("  %s run %d: topo check %.3fs (%d/%d), floor %.3fs (probing %.3fs, %d/%d)", c.name, i+1, ck.wall.Seconds(), ok, total, fl.wall.Seconds(), pingS, fok, ftotal)
	}
	if loop {
		for i := 0; i < b.loopRuns; i++ {
			d, ok, total := b.pingLoop(lab, l)
			c.loop = append(c.loop, d.Seconds())
			c.loopOK = append(c.loopOK, fmt.Sprintf("%d/%d", ok, total))
			b.say("  %s run %d: ping loop %.1fs (%d/%d)", c.name, i+1, d.Seconds(), ok, total)
		}
	}
	if res := b.down(lab); res.err != nil {
		b.fail("%s: %v", c.name, res.err)
	}
	b.settleAfter(base)
}

// probeTargets are the targets for probing: within 2× the
// floor everywhere, ≥30× the ping loop on the routed star.
func (c *probeCase) targets() []target {
	t, f := c.check.med(), c.floorWall.med()
	out := []target{{
		fmt.Sprintf("`topo check` within 2× of the ICMP floor, %s (all %d pairs)", c.name, c.pairs),
		fmt.Sprintf("%.2f× (topo check %ss, floor %ss)", ratio(t, f), fmtSec(t), fmtSec(f)), t > 0 && f > 0 && t/f <= 2}}
	if len(c.loop) > 0 {
		lp := c.loop.med()
		out = append(out, target{
			fmt.Sprintf("%s all pairs ≥30× faster than an `ip netns exec … ping` loop", c.name),
			fmt.Sprintf("%.0f× (topo check %ss, loop %ss)", ratio(lp, t), fmtSec(t), fmtSec(lp)), t > 0 && lp > 0 && lp/t >= 30})
	}
	return out
}

func (r *report) probeMarkdown(p func(string, ...any)) {
	if len(r.probes) == 0 {
		return
	}
	p("")
	p("## All pairs against the ICMP floor")
	p("")
	p("`topo check LAB` and `bench/floor -ping` take turns on the same running lab, all pairs (every host, routers included, to every address of every other host). The floor uses no topo package: a raw ICMP socket in each host's namespace, at most 64 requests of a source outstanding, the pairs in waves that fit the kernel's shared neighbour table (flushed between waves), one resend after 200 ms; no route lookups, no explanations. Both are timed as processes, start to exit; the floor's probing alone is shown too.")
	p("")
	p("| lab | hosts | pairs | topo check | floor | floor, probing only | topo / floor | answered: topo / floor | ping loop (loop / topo) |")
	p("|---|---|---|---|---|---|---|---|---|")
	for _, c := range r.probes {
		loop := "–"
		if len(c.loop) > 0 {
			loop = fmt.Sprintf("%ss (%.0f×)", fmtSec(c.loop.med()), ratio(c.loop.med(), c.check.med()))
		}
		p("| %s: %s | %d | %d | %ss | %ss | %ss | %.2f× | %s / %s | %s |", c.name, c.desc, c.hosts, c.pairs,
			fmtSec(c.check.med()), fmtSec(c.floorWall.med()), fmtSec(c.floorPing.med()), ratio(c.check.med(), c.floorWall.med()),
			strings.Join(c.checkOK, ", "), strings.Join(c.floorOK, ", "), loop)
	}
}
