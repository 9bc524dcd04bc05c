package lab

import (
	"bytes"

	"github.com/topo-lab/topo/pkg/topology"
)

// resolvConf renders the /etc/resolv.conf of the lab's nodes that have
// none of their own (from dns:, files: or their DHCP client): it names
// no server, so a node never asks the machine's servers, which the lab
// cannot reach; the lab's names resolve from its hosts file (see
// hostsFile). With no nameserver line, the resolver asks the node's own
// loopback, where nothing answers unless the node runs a server.
func resolvConf(l *topology.Lab) []byte {
	return []byte("# written by topo for lab " + l.Name + ": the lab's file names no DNS server\n" +
		"# (dns: in the file, or files: /etc/resolv.conf for this node), so the\n" +
		"# names of the lab's nodes resolve from /etc/hosts, and no other.\n")
}

// writeResolv replaces the lab's default resolv.conf when its content
// changed. It is 0644, as the hosts file.
func writeResolv(l *topology.Lab) error {
	want := resolvConf(l)
	if have, err := readLabFile(l.Name, resolvName); err == nil && bytes.Equal(have, want) {
		return nil
	}
	return writeLabFile(l.Name, resolvName, want, 0o644)
}
