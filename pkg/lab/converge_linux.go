package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/routing"
	"github.com/topo-lab/topo/pkg/topology"
)

// Stuck is an adjacency or session that has not come up, with the
// state its router reports ("Init", "Active", "no answer").
type Stuck struct {
	routing.Session
	State string
}

// String says what is stuck and how: "r1 ospf eth1 -> r2 (10.0.12.2):
// Init", "r1 has not installed a route to 10.3.0.0/24 yet", "h1:eth0
// has no DHCP lease yet (...)".
func (s Stuck) String() string {
	if s.Proto == "lease" {
		switch s.Peer {
		case topology.DynSLAAC:
			return s.Router + ":" + s.Iface + " has no address from a router advertisement yet (is a router on the link sending them?)"
		case topology.DynDHCP6:
			return s.Router + ":" + s.Iface + " has no DHCPv6 lease yet (is a DHCPv6 server on the link running? see topo logs " + s.Router + "/dhcp6-" + s.Iface + ")"
		}
		return s.Router + ":" + s.Iface + " has no DHCP lease yet (is a DHCP server on the link running? see topo logs " + s.Router + "/dhcp-" + s.Iface + ")"
	}
	if s.Proto == "route" {
		return s.Router + " has not installed a route to " + s.Peer + " yet"
	}
	if s.Proto == "path" {
		return s.Router + "'s route to " + s.Peer + " " + s.State
	}
	return s.Session.String() + ": " + s.State
}

// RoutingState asks each router of a lab that is up (through vtysh in
// the node) for its OSPF neighbours, BGP sessions and routes, and
// returns those of routing.Sessions that are not Full or Established,
// the routes of routing.Routes not installed yet and, when all are,
// the routes that do not lead there yet (routing.Detours: a router
// still sending a prefix out of a link that went down, or back).
func RoutingState(ctx context.Context, l *topology.Lab) ([]Stuck, error) {
	return routingState(ctx, l, nil)
}

// routingState is RoutingState for the routers in only (all when nil).
func routingState(ctx context.Context, l *topology.Lab, only map[string]bool) ([]Stuck, error) {
	want := routing.Sessions(l)
	byRouter := map[string][]routing.Session{}
	for _, s := range want {
		byRouter[s.Router] = append(byRouter[s.Router], s)
	}
	for _, lk := range l.Links {
		if lk.Down {
			continue // no lease comes over a link that is down
		}
		for _, e := range lk.Ends {
			for _, d := range e.Dynamic {
				byRouter[e.Node] = append(byRouter[e.Node], routing.Session{Router: e.Node, Proto: "lease", Iface: e.Interface, Peer: d})
			}
		}
	}
	for r, prefixes := range routing.Routes(l) {
		for _, p := range prefixes {
			byRouter[r] = append(byRouter[r], routing.Session{Router: r, Proto: "route", Peer: p.String()})
		}
	}
	var mu sync.Mutex
	var stuck []Stuck
	ribs := map[string]routing.RIB{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for r, ss := range byRouter {
		if only != nil && !only[r] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			got, rib := routerState(l.Name, r, ss)
			mu.Lock()
			stuck = append(stuck, got...)
			if rib != nil {
				ribs[r] = rib
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if only == nil && len(stuck) == 0 && l.NeedsFRR() {
		stuck = detours(l, ribs)
	}
	sortStuck(stuck)
	return stuck, ctx.Err()
}

// detours follows the routes of every router (ribs holds those already
// read) to the prefixes each must reach (routing.Detours).
func detours(l *topology.Lab, ribs map[string]routing.RIB) []Stuck {
	for _, n := range l.Nodes {
		if l.RunsFRR(n) && ribs[n.Name] == nil {
			rib := installedRIB(l.Name, n.Name, true)
			maps.Copy(rib, installedRIB(l.Name, n.Name, false))
			ribs[n.Name] = rib
		}
	}
	var out []Stuck
	for _, d := range routing.Detours(l, ribs) {
		out = append(out, Stuck{Session: routing.Session{Router: d.Router, Proto: "path", Peer: d.Prefix.String()}, State: d.Why})
	}
	return out
}

func sortStuck(s []Stuck) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].String() < s[j-1].String(); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// routerState reads one router's neighbours and returns its sessions
// that are not up, and its routes (both families together) when it had
// any to look for. Each kind of state is asked for once, when the first
// session that needs it comes.
func routerState(lab, r string, ss []routing.Session) ([]Stuck, routing.RIB) {
	var ospf, ospf6, bgp map[string]string
	routes := map[bool]routing.RIB{} // by family: true for IPv4
	var out []Stuck
	for _, s := range ss {
		var state string
		switch s.Proto {
		case "ospf":
			if ospf == nil {
				ospf = ospfNeighbours(lab, r)
			}
			state = ospf[s.Addr.String()]
			if strings.HasPrefix(state, "Full") {
				continue
			}
		case "ospf6":
			if ospf6 == nil {
				ospf6 = ospf6Neighbours(lab, r)
			}
			state = ospf6[s.Iface+" "+s.PeerID.String()]
			if state == "Full" {
				continue
			}
		case "lease":
			if hasGlobal(lab, r, s.Iface, s.Peer == topology.DynDHCP) {
				continue
			}
		case "route":
			if p, err := netip.ParsePrefix(s.Peer); err == nil {
				v4 := p.Addr().Is4()
				if routes[v4] == nil {
					routes[v4] = installedRIB(lab, r, v4)
				}
				if _, ok := routes[v4][p]; ok {
					continue
				}
			}
		case "bgp":
			if bgp == nil {
				bgp = bgpSessions(lab, r)
			}
			state = bgp[s.Addr.String()]
			if state == "Established" {
				continue
			}
		}
		if state == "" {
			state = "no neighbour yet"
		}
		out = append(out, Stuck{Session: s, State: state})
	}
	if len(routes) == 0 {
		return out, nil
	}
	rib := routing.RIB{}
	for _, fam := range routes {
		maps.Copy(rib, fam)
	}
	return out, rib
}

// vtysh runs vtysh -c cmd in a node and returns its output.
func vtysh(lab, nodeName, cmd string) ([]byte, error) {
	var out bytes.Buffer
	c, err := startIn(lab, nodeName, nil, nil, node.ExecSpec{Args: []string{"vtysh", "-c", cmd}, Stdout: &out})
	if err != nil {
		return nil, err
	}
	code, err := node.Wait(c)
	if err == nil && code != 0 {
		err = fmt.Errorf("vtysh -c %q in %s: exit status %d", cmd, nodeName, code)
	}
	return out.Bytes(), err
}

// vtyshJSON runs vtysh -c cmd (a "... json" command) in a router and
// decodes its output into v; false when vtysh cannot be asked or says
// something else (the daemon not up yet), which the callers read as
// nothing to report.
func vtyshJSON(lab, r, cmd string, v any) bool {
	data, err := vtysh(lab, r, cmd)
	return err == nil && json.Unmarshal(data, v) == nil
}

// ospfNeighbours maps each OSPF neighbour's interface address to its
// state ("Full/-", "Init/DROther").
func ospfNeighbours(lab, r string) map[string]string {
	out := map[string]string{}
	var v struct {
		Neighbors map[string][]struct {
			State   string `json:"nbrState"`
			Address string `json:"ifaceAddress"`
		} `json:"neighbors"`
	}
	if vtyshJSON(lab, r, "show ip ospf neighbor json", &v) {
		for _, list := range v.Neighbors {
			for _, n := range list {
				out[n.Address] = n.State
			}
		}
	}
	return out
}

// ospf6Neighbours maps each OSPFv3 neighbour, as "IFACE ROUTER-ID",
// to its state ("Full", "Init").
func ospf6Neighbours(lab, r string) map[string]string {
	out := map[string]string{}
	var v struct {
		Neighbors []struct {
			ID    string `json:"neighborId"`
			State string `json:"state"`
			Iface string `json:"interfaceName"`
		} `json:"neighbors"`
	}
	if vtyshJSON(lab, r, "show ipv6 ospf6 neighbor json", &v) {
		for _, n := range v.Neighbors {
			out[n.Iface+" "+n.ID] = n.State
		}
	}
	return out
}

// bgpSessions maps each BGP peer's address to its state, in every
// address family (an IPv6 session is listed under ipv6Unicast).
func bgpSessions(lab, r string) map[string]string {
	out := map[string]string{}
	var v map[string]struct {
		Peers map[string]struct {
			State string `json:"state"`
		} `json:"peers"`
	}
	if vtyshJSON(lab, r, "show bgp summary json", &v) {
		for _, af := range v {
			for a, p := range af.Peers {
				out[a] = p.State
			}
		}
	}
	return out
}

// WaitRouting waits until every adjacency and session of the lab is up,
// or limit passes: then it returns those still down. When ctx ends
// first (Ctrl-C) it returns an error wrapping ctx's.
func WaitRouting(ctx context.Context, l *topology.Lab, limit time.Duration) ([]Stuck, error) {
	l = routing.Expand(l)
	// Ask again only the nodes not done at the last round, so a large
	// lab's vtysh calls do not slow the daemons they wait for; once
	// none is left, one round over all confirms it.
	var pending map[string]bool
	var stuck []Stuck
	err := pollUntil(ctx, limit, 250*time.Millisecond, func() bool {
		for {
			stuck, _ = routingState(context.Background(), l, pending)
			if len(stuck) > 0 {
				break
			}
			if pending == nil {
				return true
			}
			pending = nil
		}
		pending = map[string]bool{}
		for _, s := range stuck {
			pending[s.Router] = true
		}
		return false
	})
	switch {
	case errors.Is(err, errWaitLimit):
		return stuck, nil
	case err != nil:
		return nil, fmt.Errorf("interrupted while waiting for routing to converge (the lab is up): %w", err)
	}
	return nil, nil
}

// installedRIB reads the routes of one family (v4: IPv4) a router's
// zebra has installed in the kernel (or holds as connected), each with
// its next hops in the FIB; empty when vtysh cannot be asked.
func installedRIB(lab, r string, v4 bool) routing.RIB {
	out := routing.RIB{}
	cmd := "show ip route json"
	if !v4 {
		cmd = "show ipv6 route json"
	}
	var v map[string][]struct {
		Installed bool   `json:"installed"`
		Protocol  string `json:"protocol"`
		Nexthops  []struct {
			FIB   bool   `json:"fib"`
			IP    string `json:"ip"`
			Iface string `json:"interfaceName"`
		} `json:"nexthops"`
	}
	if !vtyshJSON(lab, r, cmd, &v) {
		return out
	}
	for key, list := range v {
		p, err := netip.ParsePrefix(key)
		if err != nil {
			continue
		}
		for _, e := range list {
			if !e.Installed && e.Protocol != "connected" {
				continue
			}
			hops := out[p]
			if e.Protocol != "connected" {
				for _, h := range e.Nexthops {
					if a, err := netip.ParseAddr(h.IP); err == nil && h.FIB {
						hops = append(hops, routing.NextHop{Addr: a, Iface: h.Iface})
					}
				}
			}
			out[p] = hops
		}
	}
	return out
}

// hasGlobal reports whether an interface of a node holds a global
// address of one family (a lease, or one made from an advertisement).
func hasGlobal(lab, nodeName, iface string, v4 bool) bool {
	fam := "-6"
	if v4 {
		fam = "-4"
	}
	var out bytes.Buffer
	c, err := startIn(lab, nodeName, nil, nil, node.ExecSpec{Args: []string{"ip", "-o", fam, "addr", "show", "dev", iface, "scope", "global"}, Stdout: &out})
	if err != nil {
		return false
	}
	code, err := node.Wait(c)
	return err == nil && code == 0 && strings.Contains(out.String(), "inet")
}

// NeedsWait reports whether up has something to wait for once the lab
// is built: routing to converge, leases to come.
func NeedsWait(l *topology.Lab) bool { return l.NeedsFRR() || l.HasDynamic() }
