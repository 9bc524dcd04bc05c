// Package addrclient gives a node whose interfaces take their addresses
// from DHCP (addresses: dhcp, dhcp6) a client: dhcpcd, run as a service
// of the node per interface and family, with its state, its sockets
// and /etc/resolv.conf private to the node. SLAAC needs no client: the
// kernel of a host accepts router advertisements. Pure.
package addrclient

import (
	"fmt"
	"os"

	"github.com/topo-lab/topo/pkg/topology"
)

// Client is the DHCP client topo runs.
const Client = "/usr/sbin/dhcpcd"

// private are dhcpcd's state and runtime directories.
var private = []string{"/var/lib/dhcpcd", "/run/dhcpcd"}

// Check says, in one sentence, when the lab needs a DHCP client and the
// machine lacks it.
func Check(l *topology.Lab) error {
	if !needsClient(l) {
		return nil
	}
	if _, err := os.Stat(Client); err != nil {
		return fmt.Errorf("lab %s takes addresses from DHCP, but %s is missing: install it with `apt-get install dhcpcd-base`", l.Name, Client)
	}
	return nil
}

func needsClient(l *topology.Lab) bool {
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			for _, d := range e.Dynamic {
				if d != topology.DynSLAAC {
					return true
				}
			}
		}
	}
	return false
}

// Expand returns a copy of the lab in which each node with DHCP ends
// runs a dhcpcd per end and family ("dhcp-eth0", "dhcp6-eth0"), before
// its own services.
func Expand(l *topology.Lab) *topology.Lab {
	if !needsClient(l) {
		return l
	}
	clients := map[string][]*topology.Service{}
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			for _, d := range e.Dynamic {
				flag := "-4"
				switch d {
				case topology.DynSLAAC:
					continue
				case topology.DynDHCP6:
					flag = "-6"
				}
				clients[e.Node] = append(clients[e.Node], &topology.Service{
					Name: d + "-" + e.Interface,
					// -B: in the foreground, for the supervisor; -A: no ARP
					// probe of the offered address, --nodelay: no random
					// wait (1 to 10 s) before the first request; both
					// only delay a lab.
					Command: fmt.Sprintf("%s -B -A --nodelay %s %s", Client, flag, e.Interface),
					Restart: topology.RestartAlways,
				})
			}
		}
	}
	out := *l
	out.Nodes = make([]*topology.Node, len(l.Nodes))
	for i, n := range l.Nodes {
		cs := clients[n.Name]
		if len(cs) == 0 {
			out.Nodes[i] = n
			continue
		}
		c := *n
		c.Private = append([]string(nil), n.Private...)
		for _, p := range private {
			if !contains(c.Private, p) {
				c.Private = append(c.Private, p)
			}
		}
		c.Files = map[string]string{}
		for k, v := range n.Files {
			c.Files[k] = v
		}
		if _, ok := c.Files[topology.ResolvConf]; !ok {
			c.Files[topology.ResolvConf] = "# written by the node's DHCP client\n"
		}
		c.Services = append(cs, n.Services...)
		out.Nodes[i] = &c
	}
	return &out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
