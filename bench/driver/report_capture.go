package main

import (
	"fmt"
	"strings"
)

// captureTarget is the target for topo capture: at least as
// many frames per second as tcpdump, with no more drops (medians).
func (c *captureCase) target() (target, bool) {
	if c == nil || len(c.tools) != 2 || len(c.tools[0].fps) == 0 || len(c.tools[1].fps) == 0 {
		return target{}, false
	}
	tp, td := c.tools[0], c.tools[1]
	return target{
		"`topo capture -w` captures ≥ as many frames/s as `tcpdump -w` on a veth under iperf3, with no more drops",
		fmt.Sprintf("%.0f vs %.0f frames/s, %.0f vs %.0f dropped per %d s run", tp.fps.med(), td.fps.med(), tp.drops.med(), td.drops.med(), c.seconds),
		tp.fps.med() >= td.fps.med() && tp.drops.med() <= td.drops.med(),
	}, true
}

// markdown writes the capture section of the report.
func (c *captureCase) markdown(p func(string, ...any)) {
	if c == nil {
		return
	}
	p("")
	p("## topo capture against tcpdump")
	p("")
	p("One veth between two namespaces (examples/arp-watch.yaml); iperf3, TCP, one stream at %s bit/s, %d s from h1 to h2 while the capturer writes every frame of h2:eth0 to a file (pcapng for topo, pcap for tcpdump) in the work directory, then SIGINT. Frames per second are the frames the capturer counts as captured over the %d s; drops are the kernel's count (PACKET_STATISTICS), as each tool prints it. The start-up row: each tool run with `-c 1` while h1 pings h2 every millisecond, from its start to the kernel timestamp of the frame it captured.", iperfRate, c.seconds, c.seconds)
	p("")
	p("| | %s |", strings.Join(names(c.tools), " | "))
	p("|---|%s", strings.Repeat("---|", len(c.tools)))
	row := func(name string, f func(t *captureTool) string) {
		cells := []string{name}
		for _, t := range c.tools {
			cells = append(cells, f(t))
		}
		p("| %s |", strings.Join(cells, " | "))
	}
	row("frames captured per second", func(t *captureTool) string { return fmt.Sprintf("%.0f", t.fps.med()) })
	row("frames dropped by the kernel, per run", func(t *captureTool) string { return fmt.Sprintf("%.0f", t.drops.med()) })
	row("share of the frames dropped", func(t *captureTool) string {
		return fmt.Sprintf("%.0f%%", 100*t.drops.med()/(t.drops.med()+t.fps.med()*float64(c.seconds)))
	})
	row("iperf3 meanwhile", func(t *captureTool) string { return fmt.Sprintf("%.1f Gbit/s", t.gbps.med()) })
	row("written per run", func(t *captureTool) string { return fmt.Sprintf("%.0f MB", t.fileMB.med()) })
	row("start to \"listening on\"", func(t *captureTool) string { return fmt.Sprintf("%.1f ms", 1000*t.ready.med()) })
	row("start to first frame captured", func(t *captureTool) string { return fmt.Sprintf("%.1f ms", 1000*t.first.med()) })
	row("peak RSS", func(t *captureTool) string { return mib(t.maxRSS) })
	p("")
	for _, t := range c.tools {
		p("- %s, every run: %s frames/s; %s dropped; iperf3 %s Gbit/s; first frame after %s s", t.name, ints(t.fps), ints(t.drops), t.gbps, t.first)
	}
}

func names(ts []*captureTool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, "`"+strings.Fields(t.name)[0]+"`")
	}
	return out
}

func ints(s series) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}
