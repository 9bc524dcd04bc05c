package lab

import (
	"bytes"
	"fmt"

	"github.com/topo-lab/topo/pkg/topology"
)

// hostsFile renders the lab's /etc/hosts: every node with an address
// resolves to its first one (in link order), IPv4 and IPv6 first
// addresses both listed.
func hostsFile(l *topology.Lab) []byte {
	var b bytes.Buffer
	b.WriteString("# written by topo for lab " + l.Name + "\n")
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	first := map[string][2]string{}
	var order []string
	ends := make([]topology.Endpoint, 0, 2*len(l.Links)+len(l.Remote))
	for _, lk := range l.Links {
		ends = append(ends, lk.Ends[0], lk.Ends[1])
	}
	// In a site's part, the other sites' nodes resolve too.
	ends = append(ends, l.Remote...)
	for _, e := range ends {
		for _, p := range e.Addresses {
			f, seen := first[e.Node]
			if !seen {
				order = append(order, e.Node)
			}
			i := 0
			if p.Addr().Is6() {
				i = 1
			}
			if f[i] == "" {
				f[i] = p.Addr().String()
			}
			first[e.Node] = f
		}
	}
	for _, name := range order {
		for _, a := range first[name] {
			if a != "" {
				fmt.Fprintf(&b, "%s\t%s %s.%s\n", a, name, name, l.Name)
			}
		}
	}
	return b.Bytes()
}

// writeHosts replaces the lab's hosts file when its content changed.
// It is 0644: commands run in the nodes may drop root and still read
// it.
func writeHosts(l *topology.Lab) error {
	want := hostsFile(l)
	if have, err := readLabFile(l.Name, hostsName); err == nil && bytes.Equal(have, want) {
		return nil
	}
	return writeLabFile(l.Name, hostsName, want, 0o644)
}
