package topology

import (
	"fmt"
	"strings"
)

// ForSite returns the part of a lab split across sites that site
// builds: its nodes and switches, its links inside the site, and for
// each link to another site the same link with a Tunnel, its local end
// first. Remote lists the other sites' interfaces, so that names of
// remote nodes resolve (hosts file, topo check) and `topo check` probes
// them; expectations are those whose from: is on the site. The lab's
// own objects are shared, not copied, except the links it turns.
//
// An error names the known sites when site is not one of them, or
// says the lab has no sites.
func (l *Lab) ForSite(site string) (*Lab, error) {
	if len(l.Sites) == 0 {
		return nil, fmt.Errorf("lab %s has no sites: (--site is for a lab split across machines)", l.Name)
	}
	me := l.SiteNamed(site)
	if me == nil {
		return nil, fmt.Errorf("lab %s has no site %q: its sites are %s", l.Name, site, strings.Join(l.SiteNames(), ", "))
	}
	part := &Lab{Name: l.Name, File: l.File, Sites: l.Sites, Site: site}
	where := map[string]string{}
	part.Elsewhere = map[string]string{}
	for _, n := range l.Nodes {
		where[n.Name] = n.Site
		if n.Site == site {
			part.Nodes = append(part.Nodes, n)
		} else {
			part.Elsewhere[n.Name] = n.Site
		}
	}
	for _, lk := range l.Links {
		a, b := where[lk.Ends[0].Node] == site, where[lk.Ends[1].Node] == site
		switch {
		case a && b:
			part.Links = append(part.Links, lk)
		case a || b:
			t := *lk
			if b {
				t.Ends[0], t.Ends[1] = lk.Ends[1], lk.Ends[0]
			}
			far := l.SiteNamed(where[t.Ends[1].Node])
			t.Tunnel = &Tunnel{VNI: lk.VNI, Local: me.Underlay, Remote: far.Underlay, Port: far.Port, Site: far.Name}
			part.Links = append(part.Links, &t)
		default:
			part.Remote = append(part.Remote, lk.Ends[0], lk.Ends[1])
		}
	}
	for _, e := range l.Expect {
		if where[e.From] == site {
			part.Expect = append(part.Expect, e)
		}
	}
	return part, nil
}

// IsLocal reports whether node is one of the lab's own nodes (in a
// site's part: one of the site's).
func (l *Lab) IsLocal(node string) bool { return l.Node(node) != nil }

// NoNode explains that the lab has no node of that name: in a site's
// part, a node of another site is named as such, with where to go.
// nodes lists the lab's own nodes, for the message.
func (l *Lab) NoNode(name, nodes string) error {
	if s := l.Elsewhere[name]; s != "" {
		return fmt.Errorf("node %s of lab %s is on site %s; this machine holds site %s's part: run the command on site %s's machine", name, l.Name, s, l.Site, s)
	}
	return fmt.Errorf("lab %s has no node %q (nodes: %s)", l.Name, name, nodes)
}
