package topology

import (
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
)

// StateRoot is where topo keeps its labs' state; a node may not make
// it (or anything under it) private.
const StateRoot = "/run/topo"

// ResolvConf is the one file outside private paths a node may set in
// files: (every node has its own).
const ResolvConf = "/etc/resolv.conf"

// forbiddenPrivate are the paths a node may not make private: the
// kernel's own file systems and the root.
var forbiddenPrivate = []string{"/proc", "/sys", "/dev"}

// buildServices validates and resolves each host's private paths,
// files and services.
func (b *builder) buildServices() {
	for _, rn := range b.raw.hosts {
		n := b.nodes[rn.name]
		if n == nil || n.Kind != KindHost {
			continue
		}
		b.buildPrivate(rn, n)
		b.buildFiles(rn, n)
		b.buildServiceList(rn, n)
	}
}

func (b *builder) buildPrivate(rn *rawNode, n *Node) {
	seen := map[string]bool{}
	for _, p := range rn.private {
		if why := checkPrivatePath(p.s); why != "" {
			b.errorf(p.at, "private paths are absolute directories such as /var/www or /etc/frr", "host %s: private path %q %s", rn.name, p.s, why)
			continue
		}
		c := path.Clean(p.s)
		if seen[c] {
			b.errorf(p.at, "remove one of them", "host %s: private path %s is given twice", rn.name, c)
			continue
		}
		seen[c] = true
		n.Private = append(n.Private, c)
	}
	sort.Strings(n.Private)
}

// checkPrivatePath returns "" for a path a node may make private, or
// what is wrong with it.
func checkPrivatePath(p string) string {
	if !path.IsAbs(p) {
		return "is not absolute"
	}
	c := path.Clean(p)
	if c == "/" {
		return "is the whole file system"
	}
	for _, f := range forbiddenPrivate {
		if c == f || strings.HasPrefix(c, f+"/") {
			return "is under " + f + ", which the kernel provides"
		}
	}
	if PathsOverlap(c, StateRoot) {
		return "holds topo's state directory " + StateRoot
	}
	return ""
}

// PathsOverlap reports whether one of two clean absolute paths is the
// other or under it: binding over one hides or moves the other. Pure.
func PathsOverlap(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// endsOf names a link's ends as the file wrote them, "h1:eth0 <-> sw":
// a switch's port has no name yet while the file is read.
func endsOf(lk *Link) string {
	name := func(e Endpoint) string {
		if e.Interface == "" {
			return e.Node
		}
		return e.String()
	}
	return name(lk.Ends[0]) + " <-> " + name(lk.Ends[1])
}

// underAny reports whether p is one of dirs or under one of them.
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func (b *builder) buildFiles(rn *rawNode, n *Node) {
	for _, f := range rn.files {
		p := f.path.s
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			b.errorf(f.path.at, "write an absolute path such as /var/www/index.html", "host %s: file %q is not a clean absolute path", rn.name, p)
			continue
		}
		if p != ResolvConf && !underAny(p, n.Private) && !(b.rawRunsFRR(rn) && underAny(p, FRRPrivate)) {
			b.errorf(f.path.at, sprintf("add %s (or the file itself) to private:, so the machine's own file stays untouched", path.Dir(p)), "host %s: file %s is outside the node's private paths", rn.name, p)
			continue
		}
		if underAny(p, forbiddenPrivate) {
			b.errorf(f.path.at, "write files under the node's private paths", "host %s: file %s is under a path the kernel provides", rn.name, p)
			continue
		}
		if n.Files == nil {
			n.Files = map[string]string{}
		}
		n.Files[p] = f.content
	}
}

func (b *builder) buildServiceList(rn *rawNode, n *Node) {
	byName := map[string]*rawService{}
	var names []string
	for _, rs := range rn.services {
		if !ValidNodeName(rs.name) {
			b.errorf(rs.at, "service names are letters, digits and '-'", "host %s: service name %q is not valid", rn.name, rs.name)
			continue
		}
		byName[rs.name] = rs
		names = append(names, rs.name)
	}
	ok := map[string]*Service{}
	all := map[string]*Service{} // every service, good or not, for the circle check
	for _, name := range names {
		rs := byName[name]
		s := &Service{Name: name, Command: strings.TrimSpace(rs.command.s), Restart: RestartOnFailure, Ready: rs.ready, Pos: rs.at}
		good := true
		if s.Command == "" {
			b.errorf(rs.at, sprintf("write %s: {command: \"...\"}", name), "host %s: service %s has no command", rn.name, name)
			good = false
		}
		switch rs.restart.s {
		case "", RestartOnFailure:
		case RestartAlways, RestartNever:
			s.Restart = rs.restart.s
		default:
			b.errorf(rs.restart.at, "use on-failure, always or never", "host %s: service %s: restart %q is not valid", rn.name, name, rs.restart.s)
			good = false
		}
		for _, e := range rs.env {
			if e.key == "" || strings.ContainsAny(e.key, "= \t\n") {
				b.errorf(e.at, "environment names are letters, digits and '_'", "host %s: service %s: env %q is not a valid name", rn.name, name, e.key)
				good = false
				continue
			}
			if s.Env == nil {
				s.Env = map[string]string{}
			}
			s.Env[e.key] = e.value
		}
		for _, a := range rs.after {
			switch {
			case a.s == name:
				b.errorf(a.at, "remove it from after:", "host %s: service %s is after itself", rn.name, name)
				good = false
			case byName[a.s] == nil:
				hint := didYouMean(a.s, names)
				if hint == "" {
					hint = "services of " + rn.name + ": " + strings.Join(names, ", ")
				}
				b.errorf(a.at, hint, "host %s: service %s is after %q, which the node does not have", rn.name, name, a.s)
				good = false
			default:
				s.After = append(s.After, a.s)
			}
		}
		all[name] = s
		if good {
			ok[name] = s
		}
	}
	// The circle is looked for among all services, so that one with
	// another problem does not hide it.
	order, cycle := serviceOrder(names, all)
	if cycle != nil {
		rs := byName[cycle[0]]
		b.errorf(rs.afterAt, "remove one of the after: entries", "host %s: services wait for each other in a circle: %s", rn.name, strings.Join(append(cycle, cycle[0]), " -> "))
		return
	}
	for _, s := range order {
		if ok[s.Name] != nil {
			n.Services = append(n.Services, s)
		}
	}
}

// serviceOrder sorts services so each comes after those it names in
// after:, otherwise in file order. cycle names a circle of after:
// entries when there is one.
func serviceOrder(names []string, svcs map[string]*Service) (order []*Service, cycle []string) {
	state := map[string]int{} // 1: visiting, 2: done
	var stack []string
	var visit func(name string) []string
	visit = func(name string) []string {
		s := svcs[name]
		if s == nil || state[name] == 2 {
			return nil
		}
		if state[name] == 1 {
			for i, x := range stack {
				if x == name {
					return append([]string(nil), stack[i:]...)
				}
			}
		}
		state[name] = 1
		stack = append(stack, name)
		for _, a := range s.After {
			if c := visit(a); c != nil {
				return c
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = 2
		order = append(order, s)
		return nil
	}
	for _, name := range names {
		if c := visit(name); c != nil {
			return nil, c
		}
	}
	return order, nil
}

// rawRunsFRR reports whether a host as written will run FRR.
func (b *builder) rawRunsFRR(rn *rawNode) bool {
	ospf := b.raw.routing != nil && b.raw.routing.ospf && (rn.ospf == nil || *rn.ospf)
	return rn.forward && (rn.bgp != nil || ospf)
}

// FRRPrivate are the paths private to every node that runs FRR: its
// configuration and its runtime (pid files, vtysh sockets).
var FRRPrivate = []string{"/etc/frr", "/var/run/frr"}

// buildRouting validates the routing fields of hosts, links and the
// lab; after buildLinks.
func (b *builder) buildRouting() {
	if r := b.raw.routing; r != nil && r.ospf {
		t := &OSPFTimers{Hello: r.hello, Dead: r.dead}
		if t.Hello > 0 && t.Dead > 0 && t.Dead <= t.Hello {
			b.errorf(r.deadAt, "the dead interval is usually four times the hello interval", "routing ospf: dead (%d) must be longer than hello (%d)", t.Dead, t.Hello)
		}
		b.lab.Routing = &Routing{OSPF: t}
	}
	for _, rn := range b.raw.hosts {
		n := b.nodes[rn.name]
		if n == nil {
			continue
		}
		if rn.ospf != nil {
			n.NoOSPF = !*rn.ospf
			if *rn.ospf && !rn.forward {
				b.errorf(rn.ospfAt, "add forward: true: only routers run OSPF", "host %s: ospf on a node that is not a router", rn.name)
			}
		}
		if rn.bgp != nil {
			b.buildBGP(rn, n)
		}
	}
	for _, li := range b.links {
		o := li.raw.ospf
		if o == nil || !li.ok {
			continue
		}
		lo := &LinkOSPF{Cost: o.cost}
		if o.area.s != "" {
			if !validArea(o.area.s) {
				b.errorf(o.area.at, "write a number (0) or a dotted quad (0.0.0.1)", "link ospf area %q is not a number or a dotted quad", o.area.s)
				continue
			}
			lo.Area = o.area.s
		}
		if !b.linkHasRouter(li.link) {
			b.errorf(o.at, "OSPF runs between routers (forward: true): remove ospf: from this link", "ospf on link %s, which has no router on it", endsOf(li.link))
			continue
		}
		if b.lab.Routing == nil || b.lab.Routing.OSPF == nil {
			b.errorf(o.at, "add routing: {ospf: {}} to turn OSPF on", "link %s sets ospf, but the lab runs no OSPF", endsOf(li.link))
			continue
		}
		li.link.OSPF = lo
	}
	b.checkIBGP()
}

// linkHasRouter reports whether a router is on the link: one of its
// ends, or a router on the switch at one of its ends.
func (b *builder) linkHasRouter(l *Link) bool {
	for _, e := range l.Ends {
		n := b.nodes[e.Node]
		if n == nil {
			continue
		}
		if n.Kind == KindHost && n.Forward {
			return true
		}
		if n.Kind == KindSwitch {
			for _, other := range b.links {
				if !other.ok {
					continue
				}
				for i, oe := range other.link.Ends {
					peer := b.nodes[other.link.Ends[1-i].Node]
					if oe.Node == e.Node && peer != nil && peer.Kind == KindHost && peer.Forward {
						return true
					}
				}
			}
		}
	}
	return false
}

func validArea(s string) bool {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		return true
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func (b *builder) buildBGP(rn *rawNode, n *Node) {
	r := rn.bgp
	ok := true // every problem of the entry is reported; n gets it only when none
	if !rn.forward {
		b.errorf(r.at, "add forward: true: only routers speak BGP", "host %s: bgp on a node that is not a router", rn.name)
		ok = false
	}
	asn, err := strconv.ParseUint(r.asn.s, 10, 64)
	switch {
	case r.asn.s == "":
		b.errorf(r.at, "write bgp: {asn: 65001}", "host %s: bgp has no asn", rn.name)
		ok = false
	case err != nil || asn < 1 || asn > 4294967294:
		b.errorf(r.asn.at, "private ASNs are 64512-65534 and 4200000000-4294967294", "host %s: bgp asn %q is not from 1 to 4294967294", rn.name, r.asn.s)
		ok = false
	}
	g := &BGP{ASN: uint32(asn), IBGP: r.ibgp}
	for _, a := range r.advertise {
		p, err := netip.ParsePrefix(a.s)
		if err != nil || p.Masked() != p {
			b.errorf(a.at, "write a network such as 10.1.0.0/24", "host %s: bgp advertise %q is not a network prefix", rn.name, a.s)
			continue
		}
		g.Advertise = append(g.Advertise, p)
	}
	if r.routerID.s != "" {
		id, err := netip.ParseAddr(r.routerID.s)
		if err != nil || !id.Is4() {
			b.errorf(r.routerID.at, "write an IPv4 address such as 10.255.0.1", "host %s: bgp router_id %q is not an IPv4 address", rn.name, r.routerID.s)
		} else {
			g.RouterID = id
		}
	}
	if ok {
		n.BGP = g
	}
}
