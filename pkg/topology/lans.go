package topology

import "sort"

// LAN is one switched broadcast domain of a lab: switches joined by
// links, and the host interfaces plugged into them.
type LAN struct {
	// Switches are the LAN's switches, sorted.
	Switches []string
	// Hosts is how many host interfaces the LAN has: how many copies
	// one broadcast sent in it makes.
	Hosts int
	// Members are the hosts with an interface on the LAN, each once,
	// in the order of their links.
	Members []string
}

// Copies is how many frames one broadcast sent in the LAN costs the
// kernel: a copy for each host interface and each switch.
func (l LAN) Copies() int { return l.Hosts + len(l.Switches) }

// Overflows reports whether the LAN's broadcasts can overflow an input
// backlog of that many frames (net.core.netdev_max_backlog) when the
// kernel queues every copy there, as it does for frames a veth
// receives without a queue of its own: one broadcast's copies reach
// half of it, so two at once on one CPU lose some.
func (l LAN) Overflows(backlog int) bool { return 2*l.Copies() > backlog }

// LANs lists the lab's switched LANs, the one with most hosts first
// (ties in order of their first switch). Host-to-host links are not
// LANs. Pure.
func (l *Lab) LANs() []LAN {
	parent := map[string]string{}
	var find func(string) string
	find = func(s string) string {
		if parent[s] != s {
			parent[s] = find(parent[s])
		}
		return parent[s]
	}
	isSwitch := map[string]bool{}
	for _, n := range l.Nodes {
		if n.Kind == KindSwitch {
			isSwitch[n.Name] = true
			parent[n.Name] = n.Name
		}
	}
	for _, lk := range l.Links {
		a, b := lk.Ends[0].Node, lk.Ends[1].Node
		if isSwitch[a] && isSwitch[b] {
			parent[find(a)] = find(b)
		}
	}
	byRoot := map[string]*LAN{}
	for _, n := range l.Nodes {
		if !isSwitch[n.Name] {
			continue
		}
		r := find(n.Name)
		if byRoot[r] == nil {
			byRoot[r] = &LAN{}
		}
		byRoot[r].Switches = append(byRoot[r].Switches, n.Name)
	}
	member := map[[2]string]bool{} // LAN's root, host
	for _, lk := range l.Links {
		for i, e := range lk.Ends {
			if other := lk.Ends[1-i]; isSwitch[other.Node] && !isSwitch[e.Node] {
				lan := byRoot[find(other.Node)]
				lan.Hosts++
				if m := [2]string{find(other.Node), e.Node}; !member[m] {
					member[m] = true
					lan.Members = append(lan.Members, e.Node)
				}
			}
		}
	}
	out := make([]LAN, 0, len(byRoot))
	for _, lan := range byRoot {
		sort.Strings(lan.Switches)
		out = append(out, *lan)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hosts != out[j].Hosts {
			return out[i].Hosts > out[j].Hosts
		}
		return out[i].Switches[0] < out[j].Switches[0]
	})
	return out
}
