package topology

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The raw file, as written: decoded from YAML with positions, before
// validation and resolution.

// Every raw value keeps where it is written (a text, or an at
// field), so that a problem points at the value that is wrong rather
// than at the item holding it.

type rawFile struct {
	name       text
	hosts      []*rawNode
	switches   []*rawNode
	links      []*rawLink
	expect     []*rawExpect
	addressing *rawAddressing
	gateway    text // lab-wide "auto" or ""
	routing    *rawRouting
	dns        []text
	dnsAt      Pos
	// sites are the machines of a lab split across several (see
	// sites.go), in file order; sitesAt is where sites: is written.
	sites       []*rawSite
	sitesAt     Pos
	defaultSite text
}

// rawSite is one entry of sites:.
type rawSite struct {
	name          string
	at            Pos // the site's key
	underlay      text
	port, mtu     int
	portAt, mtuAt Pos
}

type rawNode struct {
	name    string
	at      Pos // the node's key
	kind    NodeKind
	forward bool
	routes  []*rawRoute
	sysctls []kv
	exec    []string
	stp     bool
	gateway text
	subnets []text
	site    text
	// The fields of services in nodes (service_schema.go).
	private  []text
	files    []rawFileEntry
	services []*rawService
	bgp      *rawBGP
	ospf     *bool
	ospfAt   Pos
}

// kv is one sysctl; at is where its key is written.
type kv struct {
	key, value string
	at         Pos
}

type rawRoute struct {
	at      Pos // the route entry
	to, via text
}

type rawLink struct {
	at Pos // the link entry
	// endpointsAt is where the endpoints: key is written, or zero.
	endpointsAt Pos
	endpoints   []*rawEndpoint
	// addresses holds the link-level `addresses:` entries; addrAt is
	// the key, hasAddresses tells an absent field from an empty one.
	addresses    []rawAddrEntry
	addrAt       Pos
	hasAddresses bool
	mtu          int
	mtuAt        Pos
	state        text
	subnets      []text
	// impair holds the symmetric impairment fields; impairs the
	// per-endpoint entries of impair:.
	impair  rawImpair
	impairs []rawEndImpair
	vni     int
	vniAt   Pos
	ospf    *rawLinkOSPF
}

// rawAddrEntry is one entry of a link's addresses: list: the addresses
// of one end (one, or a list for IPv4 and IPv6).
type rawAddrEntry struct {
	at    Pos
	addrs []text
}

type rawEndpoint struct {
	at        Pos // the endpoint entry
	node      text
	iface     text
	addresses []text
	hasAddrs  bool
	mac       text
	long      bool // written as {node: ..., interface: ...}
}

// rawExpect is one expect: entry; each *At is where that field's
// value is written (zero when the field is absent).
type rawExpect struct {
	at       Pos // the expectation entry
	from, to text
	reach    bool
	reachAt  Pos
	ttl      int
	ttlAt    Pos
	via      []text
	viaAt    Pos
	tcp, udp int
	tcpAt    Pos
	udpAt    Pos
	send     text
	reply    text // expect:
	sendAt   Pos
	replyAt  Pos
	mtu      int
	mtuAt    Pos
	points   int
	pointsAt Pos
}

type rawAddressing struct {
	at         Pos
	ipv4, ipv6 text
}

var (
	fileFields       = []string{"name", "hosts", "switches", "links", "expect", "addressing", "gateway", "sites", "default_site", "routing", "dns"}
	hostFields       = []string{"forward", "routes", "sysctls", "exec", "gateway", "site", "private", "files", "services", "bgp", "ospf"}
	switchFields     = []string{"stp", "subnet", "site"}
	siteFields       = []string{"underlay", "port", "mtu"}
	routeFields      = []string{"to", "via"}
	linkFields       = []string{"endpoints", "addresses", "mtu", "state", "subnet", "impair", "vni", "ospf"}
	endpointFields   = []string{"node", "interface", "addresses", "mac"}
	expectFields     = []string{"from", "to", "reach", "ttl", "via", "tcp", "udp", "send", "expect", "mtu", "points"}
	addressingFields = []string{"ipv4", "ipv6"}
)

// decodeFile turns the YAML document into a rawFile, reporting every
// shape problem (unknown fields, wrong types) on the way.
func (d *decoder) decodeFile(doc *yaml.Node) *rawFile {
	f := &rawFile{}
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.errorf(lineOnly(root.Line), "start from an example in examples/", "the file is empty")
			return f
		}
		root = root.Content[0]
	}
	if isNull(d.resolve(root)) {
		// "---", "~" or "null": a document with nothing in it.
		d.errorf(lineOnly(doc.Line), "start from an example in examples/", "the file is empty")
		return f
	}
	for _, fl := range d.mapping(root, "the file", fileFields...) {
		switch fl.key {
		case "name":
			f.name = d.str(fl.value, "name")
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
			a := &rawAddressing{at: fl.at}
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
			f.gateway = d.str(fl.value, "gateway")
		case "sites":
			f.sitesAt = fl.at
			for _, s := range d.mapping(fl.value, "sites") {
				f.sites = append(f.sites, d.decodeSite(s))
			}
		case "default_site":
			f.defaultSite = d.str(fl.value, "default_site")
		case "routing":
			f.routing = d.decodeRouting(fl)
		case "dns":
			f.dns, f.dnsAt = d.strings(fl.value, "dns"), fl.at
		}
	}
	return f
}

func (d *decoder) decodeSite(fl field) *rawSite {
	s := &rawSite{name: fl.key, at: fl.at}
	what := "site " + fl.key
	for _, f := range d.mapping(fl.value, what, siteFields...) {
		switch f.key {
		case "underlay":
			s.underlay = d.str(f.value, what+" underlay")
		case "port":
			s.port, s.portAt = d.integer(f.value, what+" port", 1, 65535), d.pos(f.value)
		case "mtu":
			s.mtu, s.mtuAt = d.integer(f.value, what+" mtu", minUnderlayMTU, 65535), d.pos(f.value)
		}
	}
	return s
}

func (d *decoder) decodeHost(fl field) *rawNode {
	h := &rawNode{name: fl.key, at: fl.at, kind: KindHost}
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
					d.errorf(s.at, sprintf("write %s: \"1\"", s.key), "%s: sysctl %s has no value", what, s.key)
					continue
				}
				v, _ := d.scalar(s.value, what+" sysctl "+s.key)
				h.sysctls = append(h.sysctls, kv{key: s.key, value: v, at: s.at})
			}
		case "exec":
			h.exec = texts(d.strings(f.value, what+" exec"))
		case "gateway":
			h.gateway = d.str(f.value, what+" gateway")
		case "site":
			h.site = d.str(f.value, what+" site")
		default:
			d.decodeServiceField(h, f, what)
		}
	}
	return h
}

func (d *decoder) decodeSwitch(fl field) *rawNode {
	s := &rawNode{name: fl.key, at: fl.at, kind: KindSwitch}
	what := "switch " + fl.key
	for _, f := range d.mapping(fl.value, what, switchFields...) {
		switch f.key {
		case "stp":
			s.stp = d.boolean(f.value, what+" stp")
		case "subnet":
			s.subnets = d.strings(f.value, what+" subnet")
		case "site":
			s.site = d.str(f.value, what+" site")
		}
	}
	return s
}

func (d *decoder) decodeRoute(n *yaml.Node, what string) *rawRoute {
	r := &rawRoute{at: d.pos(n)}
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
	l := &rawLink{at: d.pos(n)}
	for _, f := range d.mapping(n, "link", append(linkFields, impairFields...)...) {
		if d.decodeImpairField(l, f) {
			continue
		}
		switch f.key {
		case "endpoints":
			l.endpointsAt = f.at
			for _, e := range d.sequence(f.value, "link endpoints") {
				l.endpoints = append(l.endpoints, d.decodeEndpoint(e))
			}
		case "addresses":
			l.hasAddresses, l.addrAt = true, f.at
			for _, a := range d.sequence(f.value, "link addresses") {
				l.addresses = append(l.addresses, rawAddrEntry{at: d.pos(a), addrs: d.strings(a, "link address")})
			}
		case "mtu":
			l.mtu, l.mtuAt = d.integer(f.value, "mtu", 68, 65535), d.pos(f.value)
		case "state":
			l.state = d.str(f.value, "state")
		case "subnet":
			l.subnets = d.strings(f.value, "link subnet")
		case "vni":
			l.vni, l.vniAt = d.integer(f.value, "vni", MinVNI, MaxVNI), d.pos(f.value)
		case "ospf":
			l.ospf = d.decodeLinkOSPF(f)
		}
	}
	return l
}

func (d *decoder) decodeEndpoint(n *yaml.Node) *rawEndpoint {
	e := &rawEndpoint{at: d.pos(n)}
	n = d.resolve(n)
	if n.Kind == yaml.ScalarNode {
		node, iface, _ := strings.Cut(n.Value, ":")
		e.node = text{s: node, at: e.at}
		e.iface = text{s: iface, at: e.at}
		if n.Style == 0 && e.at == d.pos(n) {
			// A plain scalar, not an alias: the name starts past the ':'.
			e.iface.at.Col += utf8.RuneCountInString(node) + 1
		}
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
	if e.node.s == "" {
		d.errorf(e.at, "write {node: h1, interface: eth0}", "endpoint has no node")
	}
	return e
}
