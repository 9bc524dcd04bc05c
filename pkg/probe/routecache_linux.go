package probe

import (
	"context"
	"net"
	"net/netip"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// routeCache answers route lookups for one namespace with one kernel
// lookup (LookupRoute) per group of destinations the kernel cannot
// tell apart, instead of one per destination: checking every pair of a
// lab otherwise spends most of its time asking the kernel the same
// question.
//
// Destinations are grouped by the most specific prefix of any route,
// in any table, that holds them. All destinations of a group match the
// very same routes (prefixes nest), so with the default routing policy
// the kernel picks the same route for each: same output interface,
// same gateway. The answer is reused only when the source address
// cannot differ either: the output interface has a single address of
// the family, the one the kernel chose (or the route names its
// source). Anything else goes to the kernel every time: non-default
// rules, multipath routes, routes whose shape is not understood, a
// destination no route holds, and failures.
//
// The cache is a snapshot: it is meant for one check, not for a
// session during which routes may change.
type routeCache struct {
	ns   *node.Namespace
	once sync.Once
	// usable is false when the snapshot could not be taken or the
	// policy is not the default one.
	usable bool
	routes []cachedPrefix
	// addrs counts each interface's addresses by family (IPv6:
	// link-local ones apart), and singles holds the address of an
	// interface that has only one of its family.
	addrs   map[addrKey]int
	singles map[addrKey]netip.Addr
	names   map[int]string

	groups onceMap[netip.Prefix, groupAnswer]
}

type cachedPrefix struct {
	prefix netip.Prefix
	// plain is false for routes whose answer may vary by destination
	// (several next hops) or whose shape is not understood.
	plain bool
}

type addrKey struct {
	index int
	// class is 4, 6 (IPv6 other than link-local) or 0 (IPv6 link-local).
	class int
}

// groupAnswer is the kernel's answer for a group's first destination.
type groupAnswer struct {
	route Route
	err   error
	ok    bool // route (but for Dst) is the answer for the whole group
}

func newRouteCache(ns *node.Namespace) *routeCache {
	return &routeCache{ns: ns}
}

// lookup is LookupRoute(ns, dst), from the cache when it may be.
func (rc *routeCache) lookup(dst netip.Addr) (Route, error) {
	dst = dst.Unmap()
	rc.once.Do(rc.load)
	group, plain := rc.group(dst)
	if !rc.usable || !plain || dst.IsLinkLocalUnicast() || dst.IsMulticast() {
		return rc.kernel(dst)
	}
	ans, first, _ := rc.groups.do(context.Background(), group, func() (groupAnswer, error) {
		rt, err := rc.kernel(dst)
		return groupAnswer{route: rt, err: err, ok: err == nil && rc.sourceIsFixed(rt)}, nil
	}, nil)
	switch {
	case first:
		return ans.route, ans.err
	case !ans.ok:
		return rc.kernel(dst)
	}
	rt := ans.route
	rt.Dst = dst
	return rt, nil
}

// kernel asks the kernel, naming the interface from the snapshot when
// it can.
func (rc *routeCache) kernel(dst netip.Addr) (Route, error) {
	return lookupRoute(rc.ns, dst, rc.names)
}

// group returns the most specific route prefix holding dst and whether
// the routes of that prefix are plain; plain is false when none holds
// it.
func (rc *routeCache) group(dst netip.Addr) (netip.Prefix, bool) {
	best, plain, found := netip.Prefix{}, false, false
	for _, r := range rc.routes {
		if !r.prefix.Contains(dst) {
			continue
		}
		switch {
		case !found || r.prefix.Bits() > best.Bits():
			best, plain, found = r.prefix, r.plain, true
		case r.prefix.Bits() == best.Bits():
			plain = plain && r.plain
		}
	}
	return best, plain
}

// sourceIsFixed says whether every destination of rt's group gets the
// source rt has: the output interface has that address alone in its
// family.
func (rc *routeCache) sourceIsFixed(rt Route) bool {
	k := addrKey{rt.Index, classOf(rt.Src)}
	return rc.addrs[k] == 1 && rc.singles[k] == rt.Src
}

func classOf(a netip.Addr) int {
	switch {
	case a.Is4():
		return 4
	case a.IsLinkLocalUnicast():
		return 0
	}
	return 6
}

// load takes the snapshot: rules, routes of every table, addresses
// and interface names. Any failure leaves the cache unusable, so every
// lookup goes to the kernel.
func (rc *routeCache) load() {
	rules, err := rc.ns.NL.RuleList(netlink.FAMILY_ALL)
	if err != nil || !defaultPolicy(rules) {
		return
	}
	routes, err := rc.ns.NL.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return
	}
	for _, r := range routes {
		p, ok := routePrefix(r)
		if !ok {
			return
		}
		rc.routes = append(rc.routes, cachedPrefix{prefix: p, plain: plainRoute(r)})
	}
	ifs, err := ReadInterfaces(rc.ns)
	if err != nil {
		return
	}
	rc.addrs, rc.singles = map[addrKey]int{}, map[addrKey]netip.Addr{}
	for _, a := range ifs.Addrs {
		ip, err := ipToAddr(a.IP)
		if err != nil {
			return
		}
		k := addrKey{a.LinkIndex, classOf(ip)}
		rc.addrs[k]++
		rc.singles[k] = ip
		if a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DEPRECATED|unix.IFA_F_DADFAILED) != 0 {
			rc.addrs[k]++ // never counts as the one source
		}
	}
	rc.names = map[int]string{}
	for _, l := range ifs.Links {
		rc.names[l.Attrs().Index] = l.Attrs().Name
	}
	rc.usable = true
}

// defaultPolicy reports whether the IPv4 and IPv6 rules among rules
// are the kernel's defaults: local, main and default tables, by their
// usual priorities, selecting every packet. The multicast routing
// families' rules, which a dump of every family also lists, do not
// take part in unicast lookups and are skipped.
func defaultPolicy(rules []netlink.Rule) bool {
	want := map[int]int{0: unix.RT_TABLE_LOCAL, 32766: unix.RT_TABLE_MAIN, 32767: unix.RT_TABLE_DEFAULT}
	for _, r := range rules {
		if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
			continue
		}
		if table, ok := want[r.Priority]; !ok || table != r.Table || !selectsAll(r) {
			return false
		}
	}
	return true
}

// selectsAll reports whether a rule has no selector and no option (as
// listed by netlink, where -1 means unset).
func selectsAll(r netlink.Rule) bool {
	return r.Src == nil && r.Dst == nil && r.Mark == 0 && r.Mask == nil && r.Tos == 0 &&
		r.TunID == 0 && r.IifName == "" && r.OifName == "" && !r.Invert &&
		r.Dport == nil && r.Sport == nil && r.IPProto == 0 && r.UIDRange == nil &&
		r.Goto == -1 && r.Flow == -1 && r.SuppressIfgroup == -1 && r.SuppressPrefixlen == -1
}

// routePrefix is a route's destination prefix (a default route when it
// has none).
func routePrefix(r netlink.Route) (netip.Prefix, bool) {
	if r.Dst == nil {
		if r.Family == unix.AF_INET6 {
			return netip.PrefixFrom(netip.IPv6Unspecified(), 0), true
		}
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), true
	}
	return prefixOf(r.Dst)
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, err := ipToAddr(n.IP)
	if err != nil {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	p, err := a.Prefix(ones)
	return p, err == nil
}

// plainRoute is true for a route with one way out (or none: blackhole,
// unreachable, prohibit), whose answer is the same for every
// destination it holds.
func plainRoute(r netlink.Route) bool {
	if len(r.MultiPath) > 0 {
		return false
	}
	if r.Type == unix.RTN_UNICAST || r.Type == unix.RTN_LOCAL {
		// A unicast route without a device names a nexthop object,
		// which may be a group.
		return r.LinkIndex != 0
	}
	return true
}
