package lab

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// The expectations beyond an echo: a path (via:), a TCP or UDP port,
// a path MTU. Each is probed from inside its source node's namespace
// and judged here.

// extraHops is how many TTLs a path check probes past the expected
// destination hop, to show where a longer path goes.
const extraHops = 2

// maxHops bounds a path check, as traceroute's default does.
const maxHops = 30

// missingNode says which node an expectation names that the lab has
// not (or not as the kind it needs); "" when all are there. A lab
// built from a student's file may lack any of them: the expectation
// then fails with this, rather than the whole check.
func missingNode(l *topology.Lab, nodes map[string]*topology.Node, e *topology.Expectation) string {
	from := nodes[e.From]
	switch {
	case from == nil:
		return "no node " + e.From
	case from.Kind != topology.KindHost:
		return fmt.Sprintf("%s is a %s in this lab, not a host", e.From, from.Kind)
	}
	if _, err := netip.ParseAddr(e.To); err != nil {
		if nodes[e.To] == nil {
			return "no node " + e.To
		}
		if _, ok := l.FirstAddress(e.To); !ok && !clientAddressed(l, e.To) {
			return "node " + e.To + " has no address"
		}
	}
	for _, v := range e.Via {
		if nodes[v] == nil {
			return "no node " + v
		}
	}
	return ""
}

// target is the address an expectation's To stands for: an address,
// a node's first address in the file, or what a client-addressed host
// holds (held, see heldTargets).
func target(l *topology.Lab, e *topology.Expectation, held map[string]heldResult) (probe.Pair, error) {
	if a, err := netip.ParseAddr(e.To); err == nil {
		return probe.Pair{From: e.From, To: a}, nil
	}
	if h, ok := held[e.To]; ok {
		if h.err != nil {
			return probe.Pair{}, h.err
		}
		return probe.Pair{From: e.From, To: h.addr, ToNode: e.To}, nil
	}
	a, ok := l.FirstAddress(e.To)
	if !ok {
		return probe.Pair{}, fmt.Errorf("%s: expectation to %s: that node has no address", e.Pos, e.To)
	}
	return probe.Pair{From: e.From, To: a, ToNode: e.To}, nil
}

// checkOther probes one expectation that is not a plain echo, from
// its source's namespace (open in hs).
func checkOther(ctx context.Context, l *topology.Lab, hs *handles, e *topology.Expectation, held map[string]heldResult, opts probe.ProberOptions) ExpectResult {
	x := ExpectResult{Expect: e}
	pair, err := target(l, e, held)
	if err != nil {
		x.Why = err.Error()
		return x
	}
	x.Result = probe.Result{From: pair.From, To: pair.To, ToNode: pair.ToNode}
	ns, release, err := hs.use(e.From)
	if err != nil {
		x.Why = fmt.Sprintf("cannot enter %s: %v", e.From, err)
		return x
	}
	defer release()
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	switch e.Kind() {
	case topology.ExpectPath:
		o := opts
		o.Attempts = max(o.Attempts, 3) // a rate-limited router is not a wrong path
		hops := min(len(e.Via)+1+extraHops, maxHops)
		x.Hops = probe.Trace(ctx, ns, pair, hops, o)
		judgePath(&x, e)
	case topology.ExpectTCP, topology.ExpectUDP:
		proto, port := "tcp", e.TCP
		if e.Kind() == topology.ExpectUDP {
			proto, port = "udp", e.UDP
		}
		c := probe.Talk(ctx, ns, proto, netip.AddrPortFrom(pair.To, uint16(port)), probe.TalkOptions{
			Timeout: timeout, Send: e.Send, Want: e.Reply, NameOf: opts.NameOf,
		})
		x.Conn = &c
		judgeConn(&x, e, timeout)
	case topology.ExpectMTU:
		m, err := probe.FindPathMTU(ctx, ns, pair.To, opts)
		if err != nil {
			x.Why = err.Error()
			return x
		}
		x.MTU = &m
		judgeMTU(&x, e)
	}
	return x
}

// pathHop names the sender of one hop's answer: "r1 (10.0.1.1)".
func pathHop(r probe.Result) (name, shown string) {
	switch {
	case r.Reached:
		name, shown = r.ToNode, r.To.String()
	case r.ICMP != nil:
		name, shown = r.ICMP.FromNode, r.ICMP.From.String()
	default:
		return "", ""
	}
	if name != "" {
		return name, name + " (" + shown + ")"
	}
	return shown, shown
}

// judgePath compares the hops a trace found with via, and says hop by
// hop what came back (Detail), marking the first that is wrong.
func judgePath(x *ExpectResult, e *topology.Expectation) {
	want := append(append([]string(nil), e.Via...), e.To)
	var seen []string
	wrong := ""
	for i, r := range x.Hops {
		name, shown := pathHop(r)
		line := fmt.Sprintf("hop %d  ", i+1)
		exp := ""
		if i < len(want) {
			exp = want[i]
		}
		switch {
		case r.Reached:
			line += shown + "  reached"
		case r.ICMP != nil && r.ICMP.TimeExceeded():
			line += shown + "  time exceeded"
		case r.ICMP != nil:
			line += shown + "  " + r.ICMP.Text()
		case r.Reason == probe.ReasonICMP:
			line += "*  no answer"
			name = "*"
		default:
			line += "*  " + reasonText(r)
			name = "*"
		}
		if wrong == "" && name != exp {
			switch {
			case name == "*":
				wrong = fmt.Sprintf("hop %d: no answer (expected %s)", i+1, orNothing(exp))
			case exp == "":
				wrong = fmt.Sprintf("hop %d is %s, past %s", i+1, name, e.To)
			default:
				wrong = fmt.Sprintf("hop %d is %s, not %s", i+1, name, exp)
			}
			line += "   <- expected " + orNothing(exp)
		}
		x.Detail = append(x.Detail, line)
		seen = append(seen, name)
	}
	path := e.From + " → " + strings.Join(seen, " → ")
	reached := len(x.Hops) > 0 && x.Hops[len(x.Hops)-1].Reached
	x.Result.Reached = reached
	switch {
	case wrong == "" && reached:
		x.Holds, x.Why = true, fmt.Sprintf("path %s (%d hops)", path, len(seen))
		x.Detail = nil
	case wrong == "" && len(x.Hops) < len(want):
		end := fmt.Sprintf("the path ends at hop %d", len(x.Hops))
		if last := x.Hops[len(x.Hops)-1]; last.ICMP != nil {
			end += ", " + last.ICMP.String()
		}
		x.Why = end + ": " + path
	case wrong == "":
		x.Why = fmt.Sprintf("%s not reached within %d hops: %s", e.To, len(x.Hops), path)
	default:
		x.Why = wrong + ": " + path
	}
}

func orNothing(s string) string {
	if s == "" {
		return "nothing (the path should have ended)"
	}
	return s
}

// judgeConn says whether a connection went as expected.
func judgeConn(x *ExpectResult, e *topology.Expectation, timeout time.Duration) {
	c := x.Conn
	why := c.Why(timeout)
	answered := c.Outcome == probe.OutcomeAnswered
	x.Result.Reached = answered || c.Outcome == probe.OutcomeWrongAnswer
	switch {
	case c.Outcome == probe.OutcomeError:
		x.Why = "could not check: " + why
	case e.Reach && answered:
		x.Holds, x.Why = true, why
	case e.Reach:
		x.Why = why
	case answered || c.Outcome == probe.OutcomeWrongAnswer:
		x.Why = why + ", but must not"
	default:
		x.Holds, x.Why = true, why+", as expected"
	}
}

// judgeMTU says whether the path's MTU is the one expected, and the
// sizes tried when it is not.
func judgeMTU(x *ExpectResult, e *topology.Expectation) {
	m := x.MTU
	x.Result.Reached = m.MTU > 0
	switch {
	case m.MTU == 0:
		x.Why = "not even a " + fmt.Sprint(m.Tries[0].Size) + "-byte packet passes: " + m.Why
	case m.MTU == e.MTU:
		x.Holds, x.Why = true, fmt.Sprintf("the largest DF packet that passes is %d bytes", m.MTU)
	default:
		x.Why = fmt.Sprintf("the largest DF packet that passes is %d bytes, not %d", m.MTU, e.MTU)
	}
	if !x.Holds {
		for _, t := range m.Tries {
			line := fmt.Sprintf("%d bytes  passed", t.Size)
			if !t.Passed {
				line = fmt.Sprintf("%d bytes  %s", t.Size, t.Why)
			}
			x.Detail = append(x.Detail, line)
		}
	}
}
