package topology

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"
	"sort"
)

// A lab may be split across machines, its sites: each node and switch
// names the site that builds it, and a link between two sites becomes
// a VXLAN tunnel, one VNI per link, between the sites' underlay
// addresses. `topo up FILE --site NAME` builds one site's part (see
// ForSite).

// Site is one machine of a lab split across several.
type Site struct {
	Name string `json:"name"`
	// Underlay is the address the other sites reach this machine at.
	Underlay netip.Addr `json:"underlay"`
	// Port is the UDP port of the site's tunnels (DefaultVXLANPort).
	Port int `json:"port"`
	// MTU is the underlay's MTU (DefaultUnderlayMTU).
	MTU int `json:"mtu"`
	Pos Pos `json:"-"`
}

// Tunnel is how a site's part of a lab reaches the far end of a link
// on another site: a VXLAN interface in the local node.
type Tunnel struct {
	// VNI is the link's VXLAN network identifier.
	VNI int `json:"vni"`
	// Local and Remote are the underlay addresses of this site and of
	// the far end's.
	Local  netip.Addr `json:"local"`
	Remote netip.Addr `json:"remote"`
	// Port is the UDP port, the same at both ends.
	Port int `json:"port"`
	// Site is the far end's site.
	Site string `json:"site"`
}

// VXLAN settings.
const (
	// DefaultVXLANPort is the IANA VXLAN port, a site's default.
	DefaultVXLANPort = 4789
	// DefaultUnderlayMTU is a site's underlay MTU unless it says.
	DefaultUnderlayMTU = 1500
	// MinVNI and MaxVNI bound a VNI (24 bits; 0 is kept unused).
	MinVNI = 1
	MaxVNI = 1<<24 - 1
	// autoVNIBase is where chosen VNIs start, so that they stay clear
	// of the small ones people write by hand.
	autoVNIBase = 1 << 16
	// minUnderlayMTU is the smallest underlay MTU accepted: what
	// leaves an inner MTU of 1280 over IPv6.
	minUnderlayMTU = 1280 + vxlanOverhead6
	// vxlanOverhead4 and vxlanOverhead6 are what VXLAN adds to each
	// inner frame: the outer IP header (20 or 40 bytes), UDP (8), VXLAN
	// (8) and the inner Ethernet header (14).
	vxlanOverhead4 = 50
	vxlanOverhead6 = 70
)

// InnerMTU is the largest MTU a link between sites a and b can have:
// the smaller underlay MTU less VXLAN's overhead.
func InnerMTU(a, b *Site) int {
	over := vxlanOverhead4
	if a.Underlay.Is6() {
		over = vxlanOverhead6
	}
	return min(a.MTU, b.MTU) - over
}

// SiteNamed returns the lab's site of that name, or nil.
func (l *Lab) SiteNamed(name string) *Site {
	for _, s := range l.Sites {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// SiteNames lists the lab's sites in file order.
func (l *Lab) SiteNames() []string {
	out := make([]string, 0, len(l.Sites))
	for _, s := range l.Sites {
		out = append(out, s.Name)
	}
	return out
}

// buildSites checks sites:, puts every node on its site, and gives
// each link between two sites its VNI and an MTU that fits the
// underlay. Without sites:, a site:, default_site: or vni: is an
// error.
func (b *builder) buildSites() {
	if len(b.raw.sites) == 0 {
		b.noSites()
		return
	}
	sites := map[string]*Site{}
	underlays := map[netip.Addr]*Site{}
	declared := map[string]bool{} // written under sites:, valid or not
	errorsBefore := len(b.probs.Errors())
	for _, rs := range b.raw.sites {
		declared[rs.name] = true
		what := "site " + rs.name
		if !ValidNodeName(rs.name) {
			b.errorf(rs.at, "site names are host names: letters, digits and '-', starting with a letter or digit", "%s: the name is not valid (at most %d characters)", what, maxNodeName)
			continue
		}
		s := &Site{Name: rs.name, Port: DefaultVXLANPort, MTU: DefaultUnderlayMTU, Pos: rs.at}
		if rs.port != 0 {
			s.Port = rs.port
		}
		if rs.mtu != 0 {
			s.MTU = rs.mtu
		}
		a, err := netip.ParseAddr(rs.underlay.s)
		switch {
		case rs.underlay.s == "":
			b.errorf(rs.at, "write the address the other machines reach it at: "+rs.name+": {underlay: 192.0.2.1}", "%s has no underlay address", what)
			continue
		case err != nil || a.Zone() != "":
			b.errorf(rs.underlay.at, "write an IP address such as 192.0.2.1", "%s: underlay %q is not an IP address", what, rs.underlay.s)
			continue
		case a.IsUnspecified() || a.IsMulticast() || a.IsLoopback():
			b.errorf(rs.underlay.at, "write the machine's own unicast address", "%s: underlay %s is not an address another machine can reach", what, a)
			continue
		}
		s.Underlay = a.Unmap()
		if prev := underlays[s.Underlay]; prev != nil {
			b.errorf(rs.underlay.at, sprintf("each machine has its own address (site %s, line %d)", prev.Name, prev.Pos.Line), "sites %s and %s have the same underlay %s", prev.Name, s.Name, s.Underlay)
			continue
		}
		if len(b.lab.Sites) > 0 && b.lab.Sites[0].Underlay.Is4() != s.Underlay.Is4() {
			b.errorf(rs.underlay.at, "give every site an address of the same family", "%s: underlay %s is not of the same IP version as site %s's (%s)", what, s.Underlay, b.lab.Sites[0].Name, b.lab.Sites[0].Underlay)
			continue
		}
		underlays[s.Underlay] = s
		sites[s.Name] = s
		b.lab.Sites = append(b.lab.Sites, s)
	}
	if len(b.lab.Sites) == 0 {
		return
	}
	// A site written but refused above is reported there; the nodes
	// are still checked against every name written, so one run shows
	// every problem.
	def := b.raw.defaultSite
	if def.s != "" && !declared[def.s] {
		b.errorf(def.at, b.siteHint(def.s), "default_site names unknown site %q", def.s)
	}
	for _, rn := range append(append([]*rawNode(nil), b.raw.hosts...), b.raw.switches...) {
		n := b.nodes[rn.name]
		if n == nil || n.Pos != rn.at {
			continue
		}
		switch {
		case rn.site.s != "" && !declared[rn.site.s]:
			b.errorf(rn.site.at, b.siteHint(rn.site.s), "%s %s: unknown site %q", rn.kind, rn.name, rn.site.s)
		case rn.site.s != "" && sites[rn.site.s] == nil:
			// declared but refused: reported at the site
		case rn.site.s != "":
			n.Site = rn.site.s
		case def.s != "":
			n.Site = def.s
		default:
			b.errorf(rn.at, "add site: "+b.lab.Sites[0].Name+" (or default_site: at the top of the file)", "%s %s has no site: with sites: declared, every node and switch says which machine builds it", rn.kind, rn.name)
		}
	}
	if len(b.probs.Errors()) > errorsBefore {
		return
	}
	b.siteLinks(sites)
	b.stableMACs()
}

// stableMACs gives every interface of a lab with sites that has no
// mac: written a MAC derived from the lab's name and the endpoint
// (FNV-1a, locally administered, unicast). A site's part that is
// taken down and built again so comes back with the MACs it had, and
// the other sites' neighbour caches, which still hold them, stay
// right: with the kernel's choice, a host across a tunnel would be
// unreachable until its stale entry timed out.
func (b *builder) stableMACs() {
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		for i := range li.link.Ends {
			if e := &li.link.Ends[i]; len(e.MAC) == 0 {
				e.MAC = derivedMAC(b.lab.Name, e.String())
			}
		}
	}
}

func derivedMAC(lab, end string) MAC {
	h := fnv.New64a()
	h.Write([]byte(lab + "|" + end))
	var m [8]byte
	binary.BigEndian.PutUint64(m[:], h.Sum64())
	m[2] = m[2]&^0x01 | 0x02 // unicast, locally administered
	return MAC(m[2:])
}

// siteHint suggests a known site for a misspelled one.
func (b *builder) siteHint(name string) string {
	if h := didYouMean(name, b.lab.SiteNames()); h != "" {
		return h
	}
	return "declare it under sites:, or use one of the sites there"
}

// noSites reports the site fields of a file without sites:.
func (b *builder) noSites() {
	const hint = "declare the machines under sites: (see README, Labs across machines), or remove it"
	if d := b.raw.defaultSite; d.s != "" {
		b.errorf(d.at, hint, "default_site %q names a site, but the file has no sites:", d.s)
	}
	for _, rn := range append(append([]*rawNode(nil), b.raw.hosts...), b.raw.switches...) {
		if rn.site.s != "" {
			b.errorf(rn.site.at, hint, "%s %s names site %q, but the file has no sites:", rn.kind, rn.name, rn.site.s)
		}
	}
	for _, li := range b.links {
		if li.raw.vni != 0 {
			b.errorf(li.raw.vniAt, hint, "vni is for links between sites, but the file has no sites:")
		}
	}
}

// siteLinks gives every link between two sites its MTU and VNI:
// written VNIs first, then chosen ones (see chooseVNIs).
func (b *builder) siteLinks(sites map[string]*Site) {
	taken := map[int]*linkInfo{}
	lan := map[string]int{} // switch -> the MTU its tunnels fit
	var auto []*linkInfo
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		a, c := sites[b.nodes[li.link.Ends[0].Node].Site], sites[b.nodes[li.link.Ends[1].Node].Site]
		if a == c {
			if li.raw.vni != 0 {
				b.warnf(li.raw.vniAt, "remove it, or move one end to another site", "vni %d is unused: both ends are on site %s", li.raw.vni, a.Name)
			}
			continue
		}
		if a.Port != c.Port {
			b.errorf(li.raw.at, "give both sites the same port: (Linux's VXLAN listens on the port it sends to)", "link %s <-> %s joins site %s (port %d) and site %s (port %d)", li.link.Ends[0], li.link.Ends[1], a.Name, a.Port, c.Name, c.Port)
			continue
		}
		fit := InnerMTU(a, c)
		for _, e := range li.link.Ends {
			if b.nodes[e.Node].Kind == KindSwitch && (lan[e.Node] == 0 || fit < lan[e.Node]) {
				lan[e.Node] = fit
			}
		}
		if li.raw.mtu == 0 {
			li.link.MTU = fit
		} else if li.raw.mtu > fit {
			b.errorf(li.raw.mtuAt, sprintf("write mtu: %d or less, or raise the sites' underlay mtu:", fit), "link %s <-> %s crosses from site %s to %s: mtu %d does not fit the underlay (mtu %d less %d for VXLAN)", li.link.Ends[0], li.link.Ends[1], a.Name, c.Name, li.raw.mtu, min(a.MTU, c.MTU), min(a.MTU, c.MTU)-fit)
		}
		if li.raw.vni == 0 {
			auto = append(auto, li)
			continue
		}
		if prev := taken[li.raw.vni]; prev != nil {
			b.errorf(li.raw.vniAt, sprintf("give each link between sites its own vni (line %d has it), or leave vni: out and topo chooses", prev.raw.at.Line), "vni %d is used by two links", li.raw.vni)
			continue
		}
		taken[li.raw.vni] = li
		li.link.VNI = li.raw.vni
	}
	b.chooseVNIs(auto, taken)
	// A switch's other ports take its tunnels' MTU, so that its LAN has
	// one MTU (a frame too large for a tunnel would be dropped by the
	// bridge without a word), unless their link sets mtu:.
	for _, li := range b.links {
		if !li.ok || li.raw.mtu != 0 {
			continue
		}
		for _, e := range li.link.Ends {
			if m := lan[e.Node]; m != 0 && m < li.link.MTU {
				li.link.MTU = m
			}
		}
	}
}

// chooseVNIs gives each link between sites without a written vni: its
// VNI. The rule, the same on every machine and stable across edits: a
// link's VNI is a hash (FNV-1a) of the lab's name and its two
// endpoints (in sorted order, so the order written does not matter),
// folded into [2^16, 2^24). Links are taken in the order of their
// endpoints; a VNI already taken (written, or chosen for an earlier
// link) moves to the next free one. So a link keeps its VNI when others
// are added or removed, unless a new one takes its hash first (a chance
// of about one in 16 million per pair of links).
func (b *builder) chooseVNIs(auto []*linkInfo, taken map[int]*linkInfo) {
	sort.Slice(auto, func(i, j int) bool { return linkKey(auto[i].link) < linkKey(auto[j].link) })
	span := uint32(MaxVNI - autoVNIBase + 1)
	for _, li := range auto {
		h := fnv.New32a()
		h.Write([]byte(b.lab.Name + "|" + linkKey(li.link)))
		v := int(h.Sum32()%span) + autoVNIBase
		for taken[v] != nil {
			if v++; v > MaxVNI {
				v = autoVNIBase
			}
		}
		taken[v] = li
		li.link.VNI = v
	}
}

// crossesSites reports whether a switch loop joins switches of more
// than one site: a loop that VXLAN carries between machines, which
// needs spanning tree.
func (b *builder) crossesSites(switches []string) bool {
	for _, s := range switches {
		if b.nodes[s].Site != b.nodes[switches[0]].Site {
			return true
		}
	}
	return false
}
