package topology

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// The raw file, as written: decoded from YAML with positions, before
// validation and resolution.

type rawFile struct {
	name       string
	nameLine   int
	hosts      []*rawNode
	switches   []*rawNode
	links      []*rawLink
	expect     []*rawExpect
	addressing *rawAddressing
	gateway    string // lab-wide "auto" or ""
	gwLine     int
}

type rawNode struct {
	name    string
	line    int
	kind    NodeKind
	forward bool
	routes  []*rawRoute
	sysctls []kv
	exec    []string
	stp     bool
	gateway string
	gwLine  int
	subnets []string
	subLine int
}

type kv struct {
	key, value string
	line       int
}

type rawRoute struct {
	to, via string
	line    int
}

type rawLink struct {
	line      int
	endpoints []*rawEndpoint
	// addresses holds the link-level `addresses:` entries, one list per
	// entry; hasAddresses tells an absent field from an empty one.
	addresses    [][]string
	addrLine     int
	hasAddresses bool
	mtu          int
	state        string
	stateLine    int
	subnets      []string
	subLine      int
	// impair holds the symmetric impairment fields; impairs the
	// per-endpoint entries of impair:.
	impair  rawImpair
	impairs []rawEndImpair
}

type rawEndpoint struct {
	line      int
	node      string
	iface     string
	addresses []string
	hasAddrs  bool
	mac       string
	long      bool // written as {node: ..., interface: ...}
}

type rawExpect struct {
	line     int
	from, to string
	reach    bool
	ttl      int
}

type rawAddressing struct {
	line       int
	ipv4, ipv6 string
}

var (
	fileFields       = []string{"name", "hosts", "switches", "links", "expect", "addressing", "gateway"}
	hostFields       = []string{"forward", "routes", "sysctls", "exec", "gateway"}
	switchFields     = []string{"stp", "subnet"}
	routeFields      = []string{"to", "via"}
	linkFields       = []string{"endpoints", "addresses", "mtu", "state", "subnet", "impair"}
	endpointFields   = []string{"node", "interface", "addresses", "mac"}
	expectFields     = []string{"from", "to", "reach", "ttl"}
	addressingFields = []string{"ipv4", "ipv6"}
)

// decodeFile turns the YAML document into a rawFile, reporting every
// shape problem (unknown fields, wrong types) on the way.
func (d *decoder) decodeFile(doc *yaml.Node) *rawFile {
	f := &rawFile{}
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.errorf(root.Line, "start from an example in examples/", "the file is empty")
			return f
		}
		root = root.Content[0]
	}
	if isNull(d.resolve(root)) {
		// "---", "~" or "null": a document with nothing in it.
		d.errorf(doc.Line, "start from an example in examples/", "the file is empty")
		return f
	}
	for _, fl := range d.mapping(root, "the file", fileFields...) {
		switch fl.key {
		case "name":
			f.name, f.nameLine = d.str(fl.value, "name"), fl.line
		case "hosts":
			for _, h := range d.mapping(fl.value, "hosts") {
				f.hosts = append(f.hosts, d.decodeHost(h))
			}
		case "switches":
			for _, s := range d.mapping(fl.value, "switches") {
				f.switches = append(f.switches, d.decodeSwitch(s))
			}
		case "links":
			for _, l := range d.sequence(fl.value, "links") {
				f.links = append(f.links, d.decodeLink(l))
			}
		case "expect":
			for _, e := range d.sequence(fl.value, "expect") {
				f.expect = append(f.expect, d.decodeExpect(e))
			}
		case "addressing":
			a := &rawAddressing{line: fl.line}
			for _, af := range d.mapping(fl.value, "addressing", addressingFields...) {
				switch af.key {
				case "ipv4":
					a.ipv4 = d.str(af.value, "addressing ipv4")
				case "ipv6":
					a.ipv6 = d.str(af.value, "addressing ipv6")
				}
			}
			f.addressing = a
		case "gateway":
			f.gateway, f.gwLine = d.str(fl.value, "gateway"), fl.line
		}
	}
	return f
}

func (d *decoder) decodeHost(fl field) *rawNode {
	h := &rawNode{name: fl.key, line: fl.line, kind: KindHost}
	what := "host " + fl.key
	for _, f := range d.mapping(fl.value, what, hostFields...) {
		switch f.key {
		case "forward":
			h.forward = d.boolean(f.value, what+" forward")
		case "routes":
			for _, r := range d.sequence(f.value, what+" routes") {
				h.routes = append(h.routes, d.decodeRoute(r, what))
			}
		case "sysctls":
			for _, s := range d.mapping(f.value, what+" sysctls") {
				if isNull(d.resolve(s.value)) {
					d.errorf(s.line, sprintf("write %s: \"1\"", s.key), "%s: sysctl %s has no value", what, s.key)
					continue
				}
				v, _ := d.scalar(s.value, what+" sysctl "+s.key)
				h.sysctls = append(h.sysctls, kv{key: s.key, value: v, line: s.line})
			}
		case "exec":
			h.exec = d.strings(f.value, what+" exec")
		case "gateway":
			h.gateway, h.gwLine = d.str(f.value, what+" gateway"), f.line
		}
	}
	return h
}

func (d *decoder) decodeSwitch(fl field) *rawNode {
	s := &rawNode{name: fl.key, line: fl.line, kind: KindSwitch}
	what := "switch " + fl.key
	for _, f := range d.mapping(fl.value, what, switchFields...) {
		switch f.key {
		case "stp":
			s.stp = d.boolean(f.value, what+" stp")
		case "subnet":
			s.subnets, s.subLine = d.strings(f.value, what+" subnet"), f.line
		}
	}
	return s
}

func (d *decoder) decodeRoute(n *yaml.Node, what string) *rawRoute {
	r := &rawRoute{line: d.resolve(n).Line}
	for _, f := range d.mapping(n, what+" route", routeFields...) {
		switch f.key {
		case "to":
			r.to = d.str(f.value, "route to")
		case "via":
			r.via = d.str(f.value, "route via")
		}
	}
	return r
}

func (d *decoder) decodeLink(n *yaml.Node) *rawLink {
	l := &rawLink{line: d.resolve(n).Line}
	for _, f := range d.mapping(n, "link", append(linkFields, impairFields...)...) {
		if d.decodeImpairField(l, f) {
			continue
		}
		switch f.key {
		case "endpoints":
			for _, e := range d.sequence(f.value, "link endpoints") {
				l.endpoints = append(l.endpoints, d.decodeEndpoint(e))
			}
		case "addresses":
			l.hasAddresses, l.addrLine = true, f.line
			for _, a := range d.sequence(f.value, "link addresses") {
				l.addresses = append(l.addresses, d.strings(a, "link address"))
			}
		case "mtu":
			l.mtu = d.integer(f.value, "mtu", 68, 65535)
		case "state":
			l.state, l.stateLine = d.str(f.value, "state"), f.line
		case "subnet":
			l.subnets, l.subLine = d.strings(f.value, "link subnet"), f.line
		}
	}
	return l
}

func (d *decoder) decodeEndpoint(n *yaml.Node) *rawEndpoint {
	n = d.resolve(n)
	e := &rawEndpoint{line: n.Line}
	if n.Kind == yaml.ScalarNode {
		e.node, e.iface, _ = strings.Cut(n.Value, ":")
		return e
	}
	e.long = true
	for _, f := range d.mapping(n, "endpoint", endpointFields...) {
		switch f.key {
		case "node":
			e.node = d.str(f.value, "endpoint node")
		case "interface":
			e.iface = d.str(f.value, "endpoint interface")
		case "addresses":
			e.addresses, e.hasAddrs = d.strings(f.value, "endpoint addresses"), true
		case "mac":
			e.mac = d.str(f.value, "endpoint mac")
		}
	}
	if e.node == "" {
		d.errorf(e.line, "write {node: h1, interface: eth0}", "endpoint has no node")
	}
	return e
}

func (d *decoder) decodeExpect(n *yaml.Node) *rawExpect {
	e := &rawExpect{line: d.resolve(n).Line, reach: true}
	for _, f := range d.mapping(n, "expectation", expectFields...) {
		switch f.key {
		case "from":
			e.from = d.str(f.value, "expect from")
		case "to":
			e.to = d.str(f.value, "expect to")
		case "reach":
			e.reach = d.boolean(f.value, "expect reach")
		case "ttl":
			e.ttl = d.integer(f.value, "expect ttl", 1, 255)
		}
	}
	if e.from == "" || e.to == "" {
		d.errorf(e.line, "write {from: h1, to: h2}", "an expectation needs both from and to")
	}
	return e
}
