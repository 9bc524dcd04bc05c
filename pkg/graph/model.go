package graph

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// Node kinds as the picture draws them.
const (
	KindHost   = "host"
	KindRouter = "router"
	KindSwitch = "switch"
	// KindGroup stands for many hosts on one switch (Node.Count of them).
	KindGroup = "group"
)

// Graph is the picture of one lab. Its JSON form is `topo graph
// --format json`; the field names are stable (see README).
type Graph struct {
	Lab   string  `json:"lab"`
	Nodes []*Node `json:"nodes"`
	Links []*Link `json:"links"`
	// Pairs are the expectations (--expect) and the last check's failed
	// pairs, to overlay on the picture.
	Pairs []*Pair `json:"pairs,omitempty"`
	// Drift lists the differences between the kernel and the file, for a
	// running lab.
	Drift []string `json:"drift,omitempty"`
	// Sites are the frames of a lab split across machines, in file
	// order; nil for a lab on one machine.
	Sites []*SiteFrame `json:"sites,omitempty"`
	// Width and Height are the size of the drawing, in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Node is one box of the picture.
type Node struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Lines are the text in the box: the name, then the LAN subnets of
	// a switch or the host count of a group.
	Lines []string `json:"lines"`
	// Count is how many hosts a group node stands for.
	Count int `json:"count,omitempty"`
	// Missing is true when a running lab's node has no namespace.
	Missing bool `json:"missing,omitempty"`
	// Failed is true when a pair of the last check from or to this node
	// failed.
	Failed bool `json:"failed,omitempty"`
	// Site is the machine that builds the node, in a lab with sites.
	Site string `json:"site,omitempty"`
	// Remote is true for the far end of a tunnel drawn with one site's
	// part of a lab: a node of another machine, whose state this one
	// cannot see.
	Remote bool `json:"remote,omitempty"`
	Box
	layer, order int
}

// Box is a rectangle: X and Y of its top left corner, its width and
// height, in pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Point is a place in the drawing, in pixels.
type Point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

// End is one end of a link.
type End struct {
	Node  string `json:"node"`
	Iface string `json:"iface"`
	// Addresses are the interface's addresses (IPv4 first).
	Addresses []string `json:"addresses,omitempty"`
	// Impair is the impairment of the traffic leaving this end, in short
	// form ("10mbit 20ms 1%").
	Impair string `json:"impair,omitempty"`
	// Port is the spanning-tree state of a switch's port ("forwarding",
	// "blocking"), for a running lab.
	Port string `json:"port,omitempty"`
	// State is the interface's state in the kernel ("up", "down"), for
	// a running lab.
	State string `json:"state,omitempty"`
}

// Link is one line of the picture: a veth pair, or the links of a
// group node.
type Link struct {
	ID string `json:"id"`
	A  End    `json:"a"`
	B  End    `json:"b"`
	// Down is true when the link is declared down, or is down in the
	// kernel.
	Down bool `json:"down,omitempty"`
	// Blocking is true when spanning tree blocks a port of the link.
	Blocking bool `json:"blocking,omitempty"`
	// Count is how many links a group's line stands for (0 for one).
	Count int `json:"count,omitempty"`
	// VNI is the VXLAN network identifier of a link between two sites
	// (a tunnel); 0 for a link inside one.
	VNI int `json:"vni,omitempty"`
	// Lines are the label's text.
	Lines []string `json:"lines"`
	// Label is where the label is drawn; Points is the line's path, from
	// A through the label to B.
	Label  Box     `json:"label"`
	Points []Point `json:"points"`
	layer  int     // the label row, between the ends' layers
	order  int
	x      int
}

// SiteFrame is the frame around one site's nodes: the site's name and
// underlay address, and the box drawn around them (its label inside,
// at the top).
type SiteFrame struct {
	Name     string `json:"name"`
	Underlay string `json:"underlay"`
	Box
}

// Title is the frame's label: "m1 192.0.2.1".
func (s *SiteFrame) Title() string { return s.Name + " " + s.Underlay }

// Pair is an expectation or a checked pair overlaid on the picture.
type Pair struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Reach is what the file expects (or, for --all pairs, true).
	Reach bool `json:"reach"`
	// Checked is true when a check result is known; then OK says whether
	// the pair behaved as expected and Reason why not.
	Checked bool   `json:"checked,omitempty"`
	OK      bool   `json:"ok,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Options tune what Build draws.
type Options struct {
	// Expect overlays the lab's expect: entries.
	Expect bool
	// Expand draws every host even in a large lab; otherwise, past
	// GroupAbove hosts, the hosts on one switch collapse into one node.
	Expand bool
	// GroupAbove is the host count past which hosts collapse; 0 means
	// DefaultGroupAbove.
	GroupAbove int
	// Live is the state of a running lab; nil draws the file.
	Live *Live
}

// DefaultGroupAbove is how many hosts a lab may have before the hosts
// on one switch collapse into a group node.
const DefaultGroupAbove = 300

// Live is what the kernel holds of a running lab, read by the caller
// (topo status's code) and drawn over the file.
type Live struct {
	// Missing lists nodes without a namespace.
	Missing map[string]bool
	// Ifaces is keyed by "node:iface".
	Ifaces map[string]LiveIface
	// Drift is the drift of the lab, as `topo status` prints it.
	Drift []string
	// Check is the last check's result; nil if none is stored.
	Check []CheckedPair
}

// LiveIface is one interface as the kernel holds it.
type LiveIface struct {
	State     string
	Addresses []string
	Impair    *topology.Impairment
	Port      string
}

// CheckedPair is one pair of a check: from a node to a node (or an
// address), whether it must be reached, whether it behaved so, and why
// not.
type CheckedPair struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reach  bool   `json:"reach"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// Build makes the picture of l and lays it out.
func Build(l *topology.Lab, o Options) *Graph {
	g := &Graph{Lab: l.Name}
	group := groups(l, o)
	subnets := lanSubnets(l)
	for _, n := range l.Nodes {
		if _, ok := group[n.Name]; ok {
			continue
		}
		kind := KindHost
		switch {
		case n.Kind == topology.KindSwitch:
			kind = KindSwitch
		case n.Forward:
			kind = KindRouter
		}
		gn := &Node{ID: n.Name, Kind: kind, Lines: append([]string{n.Name}, subnets[n.Name]...), Site: n.Site}
		if o.Live != nil && o.Live.Missing[n.Name] {
			gn.Missing = true
		}
		g.Nodes = append(g.Nodes, gn)
	}
	groupNodes := map[string]*Node{}
	groupLinks := map[string]*Link{}
	for _, lk := range l.Links {
		a, b := end(lk.Ends[0], o.Live), end(lk.Ends[1], o.Live)
		if _, ok := group[a.Node]; ok {
			a, b = b, a
		}
		if sw, ok := group[b.Node]; ok {
			id := sw + "/hosts"
			gn := groupNodes[id]
			if gn == nil {
				gn = &Node{ID: id, Kind: KindGroup, Site: siteOf(l, sw)}
				groupNodes[id] = gn
				g.Nodes = append(g.Nodes, gn)
				gl := &Link{ID: sw + "~" + id, A: End{Node: sw}, B: End{Node: id}}
				groupLinks[id] = gl
				g.Links = append(g.Links, gl)
			}
			gn.Count++
			gn.Lines = []string{fmt.Sprintf("%s: %d hosts", sw, gn.Count)}
			gl := groupLinks[id]
			gl.Count++
			gl.Lines = []string{fmt.Sprintf("%d links", gl.Count)}
			continue
		}
		gl := &Link{ID: a.Node + ":" + a.Iface + "~" + b.Node + ":" + b.Iface, A: a, B: b}
		gl.Down = lk.Down
		gl.VNI = lk.VNI
		if lk.Tunnel != nil {
			// A running site's part: the far end is on another machine,
			// whose kernel this one cannot read.
			gl.B.State = ""
		}
		if o.Live != nil {
			gl.Down = isDown(a.State) || isDown(b.State)
		}
		gl.Blocking = a.Port == "blocking" || b.Port == "blocking"
		gl.Lines = linkLines(gl)
		g.Links = append(g.Links, gl)
	}
	if o.Live != nil {
		g.Drift = o.Live.Drift
	}
	addSites(g, l)
	g.Pairs = pairs(l, o)
	failed := map[string]bool{}
	for _, p := range g.Pairs {
		if p.Checked && !p.OK {
			failed[p.From], failed[p.To] = true, true
		}
	}
	for _, n := range g.Nodes {
		n.Failed = failed[n.ID]
	}
	layout(g)
	return g
}

// end is one end of a link as the picture shows it: the file's
// addresses and impairment, or the kernel's for a running lab.
func end(e topology.Endpoint, live *Live) End {
	out := End{Node: e.Node, Iface: e.Interface, Addresses: prefixes(e.Addresses), Impair: ShortImpair(e.Impair)}
	if live != nil {
		if li, ok := live.Ifaces[e.String()]; ok {
			out.State = li.State
			out.Addresses = sortAddrs(li.Addresses)
			out.Impair = ShortImpair(li.Impair)
			out.Port = li.Port
		} else {
			out.State = "missing"
		}
	}
	return out
}

func prefixes(ps []netip.Prefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return sortAddrs(out)
}

// sortAddrs puts IPv4 addresses before IPv6 ones, keeping their order.
func sortAddrs(a []string) []string {
	out := append([]string(nil), a...)
	sort.SliceStable(out, func(i, j int) bool {
		return !strings.Contains(out[i], ":") && strings.Contains(out[j], ":")
	})
	return out
}

// linkLines is a link's label: each end's interface and addresses, its
// impairment per direction, and its state.
func linkLines(l *Link) []string {
	side := func(e End) string {
		s := e.Node + ":" + e.Iface
		if len(e.Addresses) > 0 {
			s += " " + strings.Join(e.Addresses, " ")
		}
		if e.Port != "" && e.Port != "forwarding" {
			s += " [" + e.Port + "]"
		}
		return s
	}
	lines := []string{side(l.A), side(l.B)}
	switch {
	case l.A.Impair != "" && l.A.Impair == l.B.Impair:
		lines = append(lines, l.A.Impair)
	default:
		if l.A.Impair != "" {
			lines = append(lines, l.A.Node+"→ "+l.A.Impair)
		}
		if l.B.Impair != "" {
			lines = append(lines, l.B.Node+"→ "+l.B.Impair)
		}
	}
	if l.VNI != 0 {
		lines = append(lines, "tunnel vni "+strconv.Itoa(l.VNI))
	}
	if l.Down {
		lines = append(lines, "down")
	}
	return lines
}

// ShortImpair renders an impairment the short way a picture has room
// for: "10mbit 20ms±5ms 1%"; "" for none.
func ShortImpair(m *topology.Impairment) string {
	if m.IsZero() {
		return ""
	}
	var parts []string
	if m.Rate != 0 {
		parts = append(parts, topology.FormatRate(m.Rate))
	}
	if m.Delay != 0 || m.Jitter != 0 {
		d := dur(m.Delay)
		if m.Jitter != 0 {
			d += "±" + dur(m.Jitter)
		}
		parts = append(parts, d)
	}
	pct := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) + "%" }
	if m.Loss != 0 {
		parts = append(parts, pct(m.Loss))
	}
	if m.Corrupt != 0 {
		parts = append(parts, "corrupt "+pct(m.Corrupt))
	}
	if m.Duplicate != 0 {
		parts = append(parts, "dup "+pct(m.Duplicate))
	}
	if m.Reorder != 0 {
		parts = append(parts, "reorder "+pct(m.Reorder))
	}
	return strings.Join(parts, " ")
}

func dur(d time.Duration) string {
	s := d.String()
	return strings.TrimSuffix(strings.Replace(s, "m0s", "m", 1), "0s")
}

// groups decides which hosts collapse: past GroupAbove hosts (unless
// Expand), every host with one link, to a switch of its site with more
// than one such host, is drawn as part of that switch's group. It maps host -> switch.
func groups(l *topology.Lab, o Options) map[string]string {
	out := map[string]string{}
	limit := o.GroupAbove
	if limit == 0 {
		limit = DefaultGroupAbove
	}
	nodes := l.NodesByName()
	hosts := 0
	for _, n := range l.Nodes {
		if n.Kind == topology.KindHost {
			hosts++
		}
	}
	if o.Expand || hosts <= limit {
		return out
	}
	degree := map[string]int{}
	peer := map[string]string{}
	for _, lk := range l.Links {
		for i, e := range lk.Ends {
			degree[e.Node]++
			peer[e.Node] = lk.Ends[1-i].Node
		}
	}
	perSwitch := map[string][]string{}
	for _, n := range l.Nodes {
		if n.Kind != topology.KindHost || n.Forward || degree[n.Name] != 1 {
			continue
		}
		// A host on another site than its switch is drawn alone: its
		// link is a tunnel, and it belongs in its own site's frame.
		if sw := nodes[peer[n.Name]]; sw != nil && sw.Kind == topology.KindSwitch && sw.Site == n.Site {
			perSwitch[sw.Name] = append(perSwitch[sw.Name], n.Name)
		}
	}
	for sw, hs := range perSwitch {
		if len(hs) > 1 {
			for _, h := range hs {
				out[h] = sw
			}
		}
	}
	return out
}

// lanSubnets gives each LAN's first switch the subnets of the host
// addresses in it, sorted, IPv4 first.
func lanSubnets(l *topology.Lab) map[string][]string {
	out := map[string][]string{}
	nodes := l.NodesByName()
	for _, lan := range l.LANs() {
		in := map[string]bool{}
		for _, s := range lan.Switches {
			in[s] = true
		}
		seen := map[string]bool{}
		var nets []string
		for _, lk := range l.Links {
			for i, e := range lk.Ends {
				if !in[lk.Ends[1-i].Node] || nodes[e.Node] == nil || nodes[e.Node].Kind == topology.KindSwitch {
					continue
				}
				for _, p := range e.Addresses {
					s := p.Masked().String()
					if !seen[s] {
						seen[s] = true
						nets = append(nets, s)
					}
				}
			}
		}
		sort.Strings(nets)
		nets = sortAddrs(nets)
		if len(lan.Switches) > 0 && len(nets) > 0 {
			out[lan.Switches[0]] = nets
		}
	}
	return out
}

// pairs lists what to overlay: the expectations with --expect, and the
// stored check result's pairs (its failures, and with --expect all).
func pairs(l *topology.Lab, o Options) []*Pair {
	var out []*Pair
	index := map[string]*Pair{}
	key := func(from, to string) string { return from + "\x00" + to }
	if o.Expect {
		// Several expectations of one pair are one line. An echo
		// expectation ({from, to}, reach: false or not) says whether
		// the pair must reach; a path, a port or an MTU expected
		// between two nodes needs them to reach each other, and says
		// so only for a pair without an echo expectation: a firewall
		// lab that drops ICMP and lets HTTP pass expects the pair not
		// to reach (by echo) and to connect.
		echo := map[string]bool{}
		for _, e := range l.Expect {
			k := key(e.From, e.To)
			isEcho := e.Kind() == topology.ExpectReach
			reach := e.Reach || !isEcho
			p := index[k]
			switch {
			case p == nil:
				p = &Pair{From: e.From, To: e.To, Reach: reach}
				index[k] = p
				out = append(out, p)
			case isEcho && !echo[k]:
				p.Reach = e.Reach
			case isEcho == echo[k]:
				p.Reach = p.Reach || reach
			}
			echo[k] = echo[k] || isEcho
		}
	}
	if o.Live != nil {
		for _, c := range o.Live.Check {
			p := index[key(c.From, c.To)]
			if p == nil {
				if c.OK && !o.Expect {
					continue
				}
				p = &Pair{From: c.From, To: c.To, Reach: c.Reach}
				index[key(c.From, c.To)] = p
				out = append(out, p)
			}
			if p.Checked && !p.OK {
				continue // the pair's first failure stands
			}
			p.Checked, p.OK, p.Reason = true, c.OK, c.Reason
		}
	}
	return out
}
