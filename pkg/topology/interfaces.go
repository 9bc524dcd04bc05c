package topology

import (
	"fmt"
	"hash/fnv"
	"strconv"
)

// nameInterfaces gives every host end without an interface name the
// lowest free ethN of its node, in link order, names switch ports, and
// reports an interface used twice on one node.
func (b *builder) nameInterfaces() {
	used := map[string]map[string]ifaceUse{} // node -> iface -> first use
	taken := func(node, iface string) (ifaceUse, bool) {
		u, ok := used[node][iface]
		return u, ok
	}
	mark := func(node, iface string, at Pos) {
		if used[node] == nil {
			used[node] = map[string]ifaceUse{}
		}
		used[node][iface] = ifaceUse{at}
	}
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		for i, e := range li.link.Ends {
			if e.Interface == "" {
				continue
			}
			at := li.end(i).iface.at
			if u, dup := taken(e.Node, e.Interface); dup {
				b.errorf(at, sprintf("give it another name (first used on line %d)", u.at.Line), "interface %s is used twice", e)
				li.ok = false
				continue
			}
			mark(e.Node, e.Interface, at)
		}
	}
	next := map[string]int{}
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		for i := range li.link.Ends {
			e := &li.link.Ends[i]
			if e.Interface != "" || b.nodes[e.Node].Kind != KindHost {
				continue
			}
			for {
				name := "eth" + strconv.Itoa(next[e.Node])
				next[e.Node]++
				if _, dup := taken(e.Node, name); !dup {
					e.Interface = name
					mark(e.Node, name, li.end(i).at)
					break
				}
			}
		}
	}
	b.nameSwitchPorts(taken, mark)
}

// nameSwitchPorts names each switch end after what it leads to, the way
// a patch panel is labelled: "h1-eth0" for a host's interface, "s2" for
// another switch (with "-2", "-3" for parallel links). Names that would
// pass 15 bytes become "p" and a hash of the link, stable across runs.
func (b *builder) nameSwitchPorts(taken func(node, iface string) (ifaceUse, bool), mark func(node, iface string, at Pos)) {
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		for i := range li.link.Ends {
			e := &li.link.Ends[i]
			if b.nodes[e.Node].Kind != KindSwitch {
				continue
			}
			peer := li.link.Ends[1-i]
			base := peer.Node
			if b.nodes[peer.Node].Kind == KindHost {
				base = peer.Node + "-" + peer.Interface
			}
			name := base
			for n := 2; ; n++ {
				if len(name) > 15 {
					name = hashedPort(e.Node, peer, n)
				}
				if _, dup := taken(e.Node, name); !dup && name != bridgeDevice && !reservedIface(name) {
					break
				}
				name = fmt.Sprintf("%s-%d", base, n)
			}
			e.Interface = name
			mark(e.Node, name, li.end(i).at)
		}
	}
}

// ifaceUse records where an interface name was first used.
type ifaceUse struct{ at Pos }

// bridgeDevice is the name of the bridge inside a switch's namespace.
const bridgeDevice = "br0"

func hashedPort(sw string, peer Endpoint, n int) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%s|%s|%d", sw, peer.Node, peer.Interface, n)
	return fmt.Sprintf("p%08x", h.Sum32())
}
