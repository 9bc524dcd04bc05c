package topology

import (
	"net/netip"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Expectations: the expect: entries of a lab file (and of an
// expectations file, see expectfile.go), decoded, checked for fields
// that contradict each other, and, in a lab file, for the nodes they
// name.

// Bounds of the numbers an expectation takes.
const (
	minExpectMTU = 68 // the least an IPv4 link carries (RFC 791)
	maxPoints    = 1000
)

func (d *decoder) decodeExpect(n *yaml.Node) *rawExpect {
	e := &rawExpect{at: d.pos(n), reach: true, points: 1}
	for _, f := range d.mapping(n, "expectation", expectFields...) {
		switch f.key {
		case "from":
			e.from = d.str(f.value, "expect from")
		case "to":
			e.to = d.str(f.value, "expect to")
		case "reach":
			e.reach, e.reachAt = d.boolean(f.value, "expect reach"), d.pos(f.value)
		case "ttl":
			e.ttl, e.ttlAt = d.integer(f.value, "expect ttl", 1, 255), d.pos(f.value)
		case "via":
			e.viaAt = d.pos(f.value)
			e.via = d.strings(f.value, "expect via")
			if len(e.via) == 0 {
				d.errorf(e.viaAt, "write via: [r1, r2], the routers in the order the packets cross them", "expect via is empty")
			}
		case "tcp":
			e.tcp, e.tcpAt = d.integer(f.value, "expect tcp port", 1, 65535), d.pos(f.value)
		case "udp":
			e.udp, e.udpAt = d.integer(f.value, "expect udp port", 1, 65535), d.pos(f.value)
		case "send":
			e.send, e.sendAt = d.str(f.value, "expect send"), d.pos(f.value)
		case "expect":
			e.reply, e.replyAt = d.str(f.value, "expect expect"), d.pos(f.value)
		case "mtu":
			e.mtu, e.mtuAt = d.integer(f.value, "expect mtu", minExpectMTU, 65535), d.pos(f.value)
		case "points":
			e.points, e.pointsAt = d.integer(f.value, "expect points", 0, maxPoints), d.pos(f.value)
		}
	}
	if e.from.s == "" || e.to.s == "" {
		d.errorf(e.at, "write {from: h1, to: h2}", "an expectation needs both from and to")
	}
	return e
}

// expectShape reports fields of one expectation that cannot go
// together, and a via: entry that is an end of the path; false when
// there is any. It needs no lab: an expectations file is checked so.
func (r *report) expectShape(e *rawExpect) bool {
	ok := true
	// One thing checked per expectation: the second kind is the error.
	var kind string
	kinds := []struct {
		name string
		set  bool
		at   Pos
	}{{"via", len(e.via) > 0, e.viaAt}, {"tcp", e.tcp != 0, e.tcpAt}, {"udp", e.udp != 0, e.udpAt}, {"mtu", e.mtu != 0, e.mtuAt}}
	sort.SliceStable(kinds, func(i, j int) bool { return kinds[i].at.before(kinds[j].at) })
	for _, k := range kinds {
		if !k.set {
			continue
		}
		if kind != "" {
			r.errorf(k.at, "write one expectation for each: one with "+kind+", one with "+k.name, "an expectation checks one thing: it has both %s and %s", kind, k.name)
			ok = false
			continue
		}
		kind = k.name
	}
	for _, v := range e.via {
		if v.s == e.from.s || v.s == e.to.s {
			r.errorf(v.at, "list only the routers between "+e.from.s+" and "+e.to.s, "expectation via %s: that is an end of the path, not a router on it", v.s)
			ok = false
		}
	}
	if e.ttl != 0 && !e.reach {
		r.errorf(e.ttlAt, "drop ttl or reach: false", "an expectation with reach: false cannot check a ttl")
		ok = false
	} else if e.ttl != 0 && kind != "" {
		r.errorf(e.ttlAt, "ttl is the echo reply's: give it in an expectation of its own", "an expectation with %s cannot check a ttl", kind)
		ok = false
	}
	if !e.reach && (kind == "via" || kind == "mtu") {
		r.errorf(e.reachAt, "drop reach: false: a path or an MTU is only found on a path that works (write {from, to, reach: false} on its own for that)", "an expectation with %s cannot have reach: false", kind)
		ok = false
	}
	if kind != "tcp" && kind != "udp" {
		for _, f := range []struct {
			name string
			set  bool
			at   Pos
		}{{"send", e.sendAt != Pos{}, e.sendAt}, {"expect", e.replyAt != Pos{}, e.replyAt}} {
			if f.set {
				r.errorf(f.at, "add tcp: PORT or udp: PORT, the port to send to", "%s needs a tcp: or udp: port to talk to", f.name)
				ok = false
			}
		}
	} else if !e.reach && e.replyAt != (Pos{}) {
		r.errorf(e.replyAt, "drop expect: or reach: false", "an expectation with reach: false gets no answer to compare with expect")
		ok = false
	}
	return ok
}

// expectation turns a checked raw entry into an Expectation.
func (e *rawExpect) expectation() *Expectation {
	var via []string
	if len(e.via) > 0 {
		via = texts(e.via)
	}
	return &Expectation{
		From: e.from.s, To: e.to.s, Reach: e.reach, TTL: e.ttl,
		Via: via, TCP: e.tcp, UDP: e.udp, Send: e.send.s, Reply: e.reply.s,
		MTU: e.mtu, Points: e.points, Pos: e.at,
	}
}

// buildExpectations checks the expect: entries of a lab file against
// its nodes.
func (b *builder) buildExpectations() {
	for _, re := range b.raw.expect {
		from, to := re.from.s, re.to.s
		if from == "" || to == "" {
			continue
		}
		ok := b.expectShape(re)
		if n, known := b.nodes[from]; !known || n.Kind != KindHost {
			b.errorf(re.from.at, b.nodeHint(from), "expectation from %q: no such host", from)
			ok = false
		}
		if _, err := netip.ParseAddr(to); err != nil {
			if n, known := b.nodes[to]; !known || n.Kind != KindHost {
				b.errorf(re.to.at, b.nodeHint(to), "expectation to %q: neither a host nor an IP address", to)
				ok = false
			} else if _, has := b.lab.FirstAddress(to); !has && !b.dynamicNode(to) {
				b.errorf(re.to.at, "give "+to+" an address on one of its links (addresses:, a subnet: or the addressing: pool), or expect one of its addresses", "expectation to %q: that host has no address", to)
				ok = false
			}
		}
		if !b.checkVia(re) {
			ok = false
		}
		if ok {
			b.lab.Expect = append(b.lab.Expect, re.expectation())
		}
	}
}

// checkVia reports via: entries that name no router of the lab: a
// switch forwards frames, not packets, and is never seen by TTL-limited
// probes; a host without forward: true drops what is not its own.
func (b *builder) checkVia(re *rawExpect) bool {
	ok := true
	for _, v := range re.via {
		n, known := b.nodes[v.s]
		switch {
		case !known:
			b.errorf(v.at, b.nodeHint(v.s), "expectation via %q: no such node", v.s)
		case v.s == re.from.s || v.s == re.to.s:
			// expectShape said so.
		case n.Kind == KindSwitch:
			b.errorf(v.at, "list only routers (hosts with forward: true): a switch is not a hop of the path, TTL-limited probes cross it unseen", "expectation via %s: %s is a switch, not a router", v.s, v.s)
		case !n.Forward:
			b.errorf(v.at, "set forward: true on "+v.s+" to make it a router, or drop it from via:", "expectation via %s: %s is not a router (it has no forward: true)", v.s, v.s)
		default:
			continue
		}
		ok = false
	}
	return ok
}

// before reports whether p is written before q.
func (p Pos) before(q Pos) bool {
	return p.Line < q.Line || p.Line == q.Line && p.Col < q.Col
}
