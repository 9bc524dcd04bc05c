package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/service"
	"github.com/topo-lab/topo/pkg/topology"
)

// LabStatus is what `topo status` shows of one lab, read from the
// kernel and compared with the state last applied.
type LabStatus struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
	// Site is the site whose part of the lab this machine holds; ""
	// for a whole lab.
	Site string `json:"site,omitempty"`
	// State is "up" (matches what was applied), "drifted" (the kernel
	// differs: see Drift), "gone" (no namespace of the lab exists),
	// "damaged" (the state file is damaged or missing: see Error) or
	// "error" (the lab could not be read: see Error).
	State string        `json:"state"`
	Nodes []*NodeStatus `json:"nodes"`
	// Drift lists the differences between the kernel and the state last
	// applied, as the plan steps that would repair them.
	Drift []string `json:"drift,omitempty"`
	// Error is set when the lab could not be read.
	Error string `json:"error,omitempty"`
	// Services lists the lab's services as its supervisor keeps them.
	Services []*ServiceStatus `json:"services,omitempty"`
}

// ServiceStatus is one service: its state from the supervisor, and
// when it is not running the last lines of its log.
type ServiceStatus struct {
	service.State
	// Uptime is how long it has run, or since when it is down.
	Uptime string `json:"uptime,omitempty"`
	// LastLines are the last lines of its log, when it is not running.
	LastLines []string `json:"last_lines,omitempty"`
}

// NodeStatus is one node as the kernel holds it.
type NodeStatus struct {
	Name      string         `json:"name"`
	Kind      string         `json:"kind"`
	Namespace string         `json:"namespace"`
	Present   bool           `json:"present"`
	Ifaces    []*IfaceStatus `json:"interfaces,omitempty"`
	Routes    []string       `json:"routes,omitempty"`
}

// IfaceStatus is one interface as the kernel holds it.
type IfaceStatus struct {
	Name      string   `json:"name"`
	Peer      string   `json:"peer,omitempty"`
	MAC       string   `json:"mac"`
	MTU       int      `json:"mtu"`
	State     string   `json:"state"`
	Addresses []string `json:"addresses,omitempty"`
	// Leased are the addresses the node's DHCP client or SLAAC holds
	// there (never drift).
	Leased []string `json:"leased,omitempty"`
	// Impair is the impairment the interface's qdiscs apply to the
	// traffic leaving it, read back from the kernel ("rate 10mbit");
	// empty for none.
	Impair string `json:"impair,omitempty"`
	// Port is the spanning-tree state of a switch's port ("forwarding",
	// "blocking", "listening", "learning", "disabled"); empty for other
	// interfaces.
	Port string `json:"port,omitempty"`
	// impair is Impair as read, for pictures.
	impair *topology.Impairment
}

// Status reads a lab that has state. It takes no lock: it only reads.
func Status(ctx context.Context, name string) (*LabStatus, error) {
	st, err := LoadState(name)
	if errors.Is(err, ErrDamaged) {
		return &LabStatus{Name: name, State: "damaged", Error: err.Error()}, nil
	}
	if errors.Is(err, ErrNoState) {
		if recs, _ := recordedNamespaces(name); len(recs) > 0 {
			return &LabStatus{Name: name, State: "damaged", Error: fmt.Sprintf("the state file %s is missing but %d namespaces are recorded in %s: `topo up FILE` rebuilds it, `topo down %s` removes the lab", statePath(name), len(recs), recordsPath(name), name)}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	own := ownershipOf(st)
	hs := newHandles(own)
	defer hs.close()
	ls := &LabStatus{Name: name, File: st.Lab.File, Site: st.Lab.Site}
	obs, _, err := observe(ctx, st.Lab, st.Lab, own, hs)
	if err != nil {
		ls.State, ls.Error = "error", err.Error()
		return ls, nil
	}
	obs.Services = observeServices(st.Lab)
	ls.Services = servicesStatus(name)
	peers := peerNames(st.Lab)
	for _, n := range st.Lab.Nodes {
		ns := &NodeStatus{Name: n.Name, Kind: string(n.Kind), Namespace: topology.Namespace(name, n.Name)}
		if o := obs.Nodes[n.Name]; o != nil {
			ns.Present = true
			ns.Ifaces = ifaceStatus(o, peers[n.Name])
			if n.Kind == topology.KindSwitch {
				portStates(hs, n.Name, ns.Ifaces)
			}
			for _, r := range o.Routes {
				ns.Routes = append(ns.Routes, r.String())
			}
		}
		ls.Nodes = append(ls.Nodes, ns)
	}
	plan := topology.Diff(st.Lab, topology.Current{Applied: st.Lab, Observed: obs, SysctlOriginal: st.SysctlOriginal})
	for _, s := range plan.Steps {
		ls.Drift = append(ls.Drift, s.Text())
	}
	switch {
	case len(obs.Nodes) == 0 && len(st.Lab.Nodes) > 0:
		ls.State = "gone"
	case len(ls.Drift) > 0:
		ls.State = "drifted"
	default:
		ls.State = "up"
	}
	return ls, nil
}

// peerNames maps node -> interface -> "peer:iface" from the lab's links.
func peerNames(l *topology.Lab) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lk := range l.Links {
		for i, e := range lk.Ends {
			if out[e.Node] == nil {
				out[e.Node] = map[string]string{}
			}
			out[e.Node][e.Interface] = lk.Ends[1-i].String()
			if lk.Tunnel != nil {
				out[e.Node][e.Interface] += " (site " + lk.Tunnel.Site + ", vxlan " + strconv.Itoa(lk.Tunnel.VNI) + ")"
			}
		}
	}
	return out
}

// ifaceState is the state status shows: the kernel's operational
// state, "down" when the interface is set down, and "up" while the
// kernel has not yet turned a new interface's "unknown" into "up" but
// the carrier is there (it does so for a bridge up to a second late).
func ifaceState(i *topology.ObservedIface) string {
	state := strings.ToLower(i.OperState)
	switch {
	case !i.AdminUp:
		return "down"
	case state == "unknown" && i.Carrier:
		return "up"
	}
	return state
}

func ifaceStatus(o *topology.ObservedNode, peers map[string]string) []*IfaceStatus {
	var out []*IfaceStatus
	for _, i := range o.Ifaces {
		s := &IfaceStatus{Name: i.Name, Peer: peers[i.Name], MAC: i.MAC.String(), MTU: i.MTU, State: ifaceState(i)}
		if !i.Impair.IsZero() {
			s.Impair, s.impair = i.Impair.String(), i.Impair
		}
		addrs := append([]netip.Prefix(nil), i.Addresses...)
		for _, a := range addrs {
			s.Addresses = append(s.Addresses, a.String())
		}
		for _, a := range i.Leased {
			s.Leased = append(s.Leased, a.String())
		}
		out = append(out, s)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// portStates fills in the spanning-tree state of a switch's ports, as
// the kernel's bridge holds it. A switch that cannot be read keeps
// empty states: status still shows the rest.
func portStates(hs *handles, sw string, ifaces []*IfaceStatus) {
	ns, release, err := hs.use(sw)
	if err != nil {
		return
	}
	defer release()
	states, err := node.PortStates(ns)
	if err != nil {
		return
	}
	for _, i := range ifaces {
		i.Port = states[i.Name]
	}
}
