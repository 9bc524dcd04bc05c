package probe

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func rule(prio, table int) netlink.Rule {
	r := *netlink.NewRule()
	r.Priority, r.Table, r.Family = prio, table, unix.AF_INET
	return r
}

func TestDefaultPolicy(t *testing.T) {
	def := []netlink.Rule{rule(0, 255), rule(32766, 254), rule(32767, 253)}
	if !defaultPolicy(def) {
		t.Error("the kernel's default rules are not seen as default")
	}
	if !defaultPolicy(def[:2]) {
		t.Error("IPv6's default rules (no default table) are not seen as default")
	}
	// What a dump of every family lists here besides: the IPv6
	// multicast routing family's default rule (32767 lookup table 254).
	ip6mr := rule(32767, 254)
	ip6mr.Family = 129 // RTNL_FAMILY_IP6MR
	if !defaultPolicy(append(append([]netlink.Rule{}, def...), ip6mr)) {
		t.Error("a multicast routing family's rule made the policy non-default")
	}
	extra := rule(100, 10)
	fromNet := rule(32766, 254)
	fromNet.Src = &net.IPNet{IP: net.IPv4(10, 0, 0, 0), Mask: net.CIDRMask(8, 32)}
	marked := rule(0, 255)
	marked.Mark = 1
	suppress := rule(32766, 254)
	suppress.SuppressPrefixlen = 0
	otherTable := rule(32766, 100)
	for name, r := range map[string]netlink.Rule{"extra rule": extra, "source selector": fromNet, "mark": marked, "suppress_prefixlength": suppress, "main replaced": otherTable} {
		if defaultPolicy(append(append([]netlink.Rule{}, def...), r)) {
			t.Errorf("%s: seen as the default policy", name)
		}
	}
}

func TestRouteGroup(t *testing.T) {
	pfx := netip.MustParsePrefix
	rc := &routeCache{routes: []cachedPrefix{
		{pfx("0.0.0.0/0"), true},
		{pfx("10.0.0.0/8"), true},
		{pfx("10.1.0.0/16"), true},
		{pfx("10.1.0.0/16"), false}, // the same prefix again, multipath
		{pfx("10.2.0.0/16"), true},
		{pfx("::/0"), true},
	}}
	for _, c := range []struct {
		dst   string
		group string
		plain bool
	}{
		{"10.9.9.9", "10.0.0.0/8", true},
		{"10.2.3.4", "10.2.0.0/16", true},
		{"10.1.2.3", "10.1.0.0/16", false},
		{"192.0.2.1", "0.0.0.0/0", true},
		{"2001:db8::1", "::/0", true},
	} {
		g, plain := rc.group(netip.MustParseAddr(c.dst))
		if g.String() != c.group || plain != c.plain {
			t.Errorf("group(%s) = %s, %v; want %s, %v", c.dst, g, plain, c.group, c.plain)
		}
	}
	if _, plain := (&routeCache{routes: []cachedPrefix{{pfx("10.0.0.0/8"), true}}}).group(netip.MustParseAddr("192.0.2.1")); plain {
		t.Error("a destination no route holds is grouped")
	}
}

func TestPlainRoute(t *testing.T) {
	for _, c := range []struct {
		r    netlink.Route
		want bool
	}{
		{netlink.Route{Type: unix.RTN_UNICAST, LinkIndex: 3}, true},
		{netlink.Route{Type: unix.RTN_UNICAST}, false}, // a nexthop object
		{netlink.Route{Type: unix.RTN_UNICAST, MultiPath: []*netlink.NexthopInfo{{LinkIndex: 3}, {LinkIndex: 4}}}, false},
		{netlink.Route{Type: unix.RTN_BLACKHOLE}, true},
		{netlink.Route{Type: unix.RTN_LOCAL, LinkIndex: 1}, true},
	} {
		if got := plainRoute(c.r); got != c.want {
			t.Errorf("plainRoute(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
}

// TestRouteCacheAgreesWithKernel: in a namespace with nested routes,
// a gateway, a blackhole and an interface with two addresses, every
// answer through the snapshot equals the kernel's own; with a policy
// rule added, the snapshot is not used at all.
func TestRouteCacheAgreesWithKernel(t *testing.T) {
	l := newTestLab(t)
	l.add("a", "b", "c")
	l.link("a", "eth0", "b", "eth0")
	l.link("a", "eth1", "c", "eth0")
	l.addr("a", "eth0", "10.70.0.1/24")
	l.addr("a", "eth1", "10.71.0.1/24")
	l.addr("a", "eth1", "10.72.0.1/24") // eth1: two sources to pick from
	l.addr("a", "eth0", "fd70::1/64")
	l.ip("a", "route", "add", "10.80.0.0/16", "via", "10.70.0.2")
	l.ip("a", "route", "add", "10.80.5.0/24", "via", "10.71.0.2")
	l.ip("a", "route", "add", "blackhole", "10.80.6.0/24")
	l.ip("a", "addr", "add", "10.74.0.1/24", "dev", "eth1", "noprefixroute")
	l.ip("a", "route", "add", "10.74.0.0/16", "via", "10.71.0.2")
	l.ip("a", "route", "add", "default", "via", "10.70.0.3")
	l.ip("a", "-6", "route", "add", "default", "via", "fd70::2")
	// IPv6 picks the source per destination (longest matching prefix):
	// fd71::99 and fd70:1::5, both by the default route, get
	// different ones.
	l.ip("a", "addr", "add", "fd71::1/64", "dev", "eth0", "nodad", "noprefixroute")
	ns := l.open("a")
	dsts := []string{
		"10.70.0.9", "10.70.0.10", "10.71.0.9", "10.71.0.10", "10.72.0.5", "10.72.0.6",
		"10.74.0.5", "10.74.1.5", "10.80.1.1", "10.80.2.2", "10.80.5.1", "10.80.5.2", "10.80.6.1", "10.80.6.2",
		"192.0.2.1", "198.51.100.1", "fd70::9", "fd70::10", "fd71::99", "fd70:1::5", "2001:db8::1", "2001:db8::2",
		"10.70.0.1", "127.0.0.1",
	}
	compare := func(rc *routeCache) {
		t.Helper()
		for range 2 { // the second round is answered from the groups
			for _, d := range dsts {
				dst := netip.MustParseAddr(d)
				want, wantErr := LookupRoute(ns, dst)
				got, err := rc.lookup(dst)
				if got != want || (err == nil) != (wantErr == nil) || err != nil && ReasonOf(err) != ReasonOf(wantErr) {
					t.Errorf("route to %s: snapshot %+v (%v), kernel %+v (%v)", d, got, err, want, wantErr)
				}
			}
		}
	}
	rc := newRouteCache(ns)
	compare(rc)
	if !rc.usable {
		t.Fatal("the snapshot was not used with the default policy")
	}
	if len(rc.groups.m) == 0 {
		t.Fatal("no destination was answered from a group")
	}
	l.ip("a", "rule", "add", "from", "10.70.0.1", "lookup", "100", "prio", "100")
	rc = newRouteCache(ns)
	compare(rc)
	if rc.usable {
		t.Error("the snapshot was used with a policy rule in place")
	}
}
