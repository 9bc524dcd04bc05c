package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// step applies one plan step with its operation's runner.
func (x *executor) step(s topology.Step) error {
	run, ok := stepRunners[s.Op]
	if !ok {
		return fmt.Errorf("unknown step %q", s.Op)
	}
	return run(x, s)
}

// inNS runs fn on the namespace of the step's node.
func inNS(fn func(*node.Namespace, topology.Step) error) func(*executor, topology.Step) error {
	return func(x *executor, s topology.Step) error {
		return x.withNS(s.Node, func(ns *node.Namespace) error { return fn(ns, s) })
	}
}

// stepRunners says how each plan operation runs; topology's opTable
// gives its phase and how it prints. TestEveryOpRuns checks that no
// operation lacks a runner.
var stepRunners = map[topology.Op]func(*executor, topology.Step) error{
	topology.OpCreateNode: func(x *executor, s topology.Step) error { return x.createNode(s.Node) },
	topology.OpDeleteNode: func(x *executor, s topology.Step) error { return x.deleteNode(s.Node) },
	topology.OpCreateBridge: func(x *executor, s topology.Step) error {
		return x.withNS(s.Node, func(ns *node.Namespace) error { return x.createBridge(ns, s.Node, *s.Bridge) })
	},
	topology.OpCreateLink:   func(x *executor, s topology.Step) error { return x.createLink(s.Link) },
	topology.OpDeleteLink:   func(x *executor, s topology.Step) error { return x.deleteLink(s.Link) },
	topology.OpCreateTunnel: func(x *executor, s topology.Step) error { return x.createTunnel(s.Link) },
	topology.OpSetMTU:       inNS(func(ns *node.Namespace, s topology.Step) error { return link.SetMTU(ns, s.Iface, s.MTU) }),
	topology.OpSetMAC:       inNS(func(ns *node.Namespace, s topology.Step) error { return link.SetMAC(ns, s.Iface, s.MAC) }),
	topology.OpSetMaster: inNS(func(ns *node.Namespace, s topology.Step) error {
		return link.SetMaster(ns, s.Iface, node.BridgeName)
	}),
	topology.OpAddAddr:   inNS(func(ns *node.Namespace, s topology.Step) error { return link.AddAddr(ns, s.Iface, s.Prefix) }),
	topology.OpDelAddr:   inNS(func(ns *node.Namespace, s topology.Step) error { return link.DelAddr(ns, s.Iface, s.Prefix) }),
	topology.OpSetState:  inNS(func(ns *node.Namespace, s topology.Step) error { return link.SetUp(ns, s.Iface, s.Up) }),
	topology.OpSetImpair: inNS(func(ns *node.Namespace, s topology.Step) error { return link.SetImpair(ns, s.Iface, s.Impair) }),
	topology.OpSetBridge: inNS(func(ns *node.Namespace, s topology.Step) error {
		return node.SetBridge(ns, node.BridgeName, link.BridgeConfig(*s.Bridge))
	}),
	topology.OpSetSysctl: func(x *executor, s topology.Step) error {
		return x.withNS(s.Node, func(ns *node.Namespace) error { return x.setSysctl(ns, s) })
	},
	topology.OpAddRoute:    inNS(func(ns *node.Namespace, s topology.Step) error { return link.AddRoute(ns, s.Route) }),
	topology.OpDelRoute:    inNS(func(ns *node.Namespace, s topology.Step) error { return link.DelRoute(ns, s.Route) }),
	topology.OpRunExec:     func(x *executor, s topology.Step) error { return x.runExec(s.Node) },
	topology.OpKillProcs:   func(x *executor, s topology.Step) error { return x.killProcesses(s.Node) },
	topology.OpDeleteIface: inNS(func(ns *node.Namespace, s topology.Step) error { return link.Delete(ns, s.Iface) }),
	topology.OpResetSysctl: inNS(func(ns *node.Namespace, s topology.Step) error {
		return node.WriteSysctl(ns, s.Key, s.Value)
	}),
	topology.OpWriteFiles:     func(x *executor, s topology.Step) error { return x.writeFiles(s.Node) },
	topology.OpStartService:   (*executor).serviceStep,
	topology.OpRestartService: (*executor).serviceStep,
	topology.OpStopService:    (*executor).serviceStep,
	topology.OpFlushNeigh:     inNS(func(ns *node.Namespace, s topology.Step) error { return node.ClearNeighbours(ns) }),
}

func (x *executor) withNS(nodeName string, fn func(*node.Namespace) error) error {
	ns, release, err := x.hs.use(nodeName)
	if err != nil {
		return err
	}
	defer release()
	return fn(ns)
}

// createNode makes the node's namespace (see node.Create) and a
// switch's bridge, and records the inode at once. Its hostname comes
// on first use (see hostnameNS).
func (x *executor) createNode(name string) error {
	nsName := topology.Namespace(x.lab.Name, name)
	// An interrupted create may have left the file without a namespace.
	if err := node.DeleteLeftover(nsName); err != nil {
		return err
	}
	n := x.nodes[name]
	isSwitch := n != nil && n.Kind == topology.KindSwitch
	ns, err := node.Create(nsName, node.CreateOptions{Sysctls: nodeSysctls(isSwitch)})
	if errors.Is(err, fs.ErrExist) {
		x.own.unclaim(name)
		return fmt.Errorf("%w: %s (delete it with `ip netns del %s` if it is yours, or rename the lab)", ErrNotOwned, nsName, nsName)
	}
	if err != nil {
		return err
	}
	defer x.hs.put(name, ns)()
	if err := x.own.record(name, ns.Inode); err != nil {
		return err
	}
	if isSwitch {
		return x.createBridge(ns, name, topology.BridgeConfOf(n))
	}
	return nil
}

// nodeSysctls are set in every new node's namespace before anything
// is in it: topology.NodeDefaults, and for a switch the bridge's
// netfilter hooks off.
func nodeSysctls(isSwitch bool) []node.Sysctl {
	if isSwitch {
		return switchSysctls
	}
	return hostSysctls
}

var (
	hostSysctls   = createSysctls(topology.KindHost)
	switchSysctls = createSysctls(topology.KindSwitch)
)

func createSysctls(kind topology.NodeKind) []node.Sysctl {
	var s []node.Sysctl
	for _, d := range topology.NodeDefaults(kind) {
		s = append(s, node.Sysctl{Key: d.Key, Value: d.Value})
	}
	if kind == topology.KindSwitch {
		// A switch forwards frames and nothing else: when the machine
		// has br_netfilter loaded (Docker does it), every bridged frame
		// would otherwise also go through the switch namespace's
		// iptables, arptables and ip6tables hooks, with a route lookup.
		for _, k := range []string{"iptables", "ip6tables", "arptables"} {
			s = append(s, node.Sysctl{Key: "net.bridge.bridge-nf-call-" + k, Value: "0", Optional: true})
		}
	}
	return s
}

// createBridge makes (or fixes) a switch's bridge and notes its index.
func (x *executor) createBridge(ns *node.Namespace, nodeName string, c topology.BridgeConf) error {
	idx, err := node.CreateBridge(ns, node.BridgeName, link.BridgeConfig(c))
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.bridges[nodeName] = idx
	x.mu.Unlock()
	return nil
}

// bridgeIndex is the index of the bridge of e's node when e is a
// switch port and the index is known; else 0.
func (x *executor) bridgeIndex(e topology.Endpoint) int {
	if x.masterOf(e) == "" {
		return 0
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.bridges[e.Node]
}

// deleteNode kills what runs in the node's namespace and removes it.
func (x *executor) deleteNode(name string) error {
	inode, _ := x.own.inode(name)
	x.hs.drop(name)
	if err := removeNode(x.lab.Name, name, inode, false); err != nil {
		return err
	}
	if err := deleteUTS(x.lab.Name, name); err != nil {
		return err
	}
	if err := x.own.forget(name); err != nil {
		return err
	}
	x.mu.Lock()
	delete(x.st.SysctlOriginal, name)
	x.mu.Unlock()
	return nil
}

// removeNode kills the processes of one owned namespace and deletes it.
// A namespace whose inode is not the recorded one is left alone. The
// hostname namespace and the journal are the caller's to update: down
// removes them whole at the end.
//
// killed says the caller has already killed the namespace's processes
// (Down does it for every node in one scan of /proc); otherwise
// removeNode scans for them itself.
func removeNode(lab, name string, inode uint64, killed bool) error {
	nsName := topology.Namespace(lab, name)
	cur, err := node.Inode(nsName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case errors.Is(err, node.ErrNotMounted):
		// Left by an interrupted create of this (recorded) node.
		if err := node.DeleteLeftover(nsName); err != nil {
			return err
		}
	case err != nil:
		return err
	case !ownsInode(inode, cur):
		return fmt.Errorf("%w: %s was replaced; left alone", ErrNotOwned, nsName)
	default:
		if !killed {
			if _, err := node.KillAll(context.Background(), map[uint64]bool{cur: true}); err != nil {
				return err
			}
		}
		if err := node.Delete(nsName); err != nil {
			return err
		}
	}
	return nil
}

// createLink makes the veth pair with every setting of both ends. A
// switch end goes first, so its bridge port is made in the same
// request; each end gets a lab-wide unique interface index (see
// link.VethSpec), so the two indexes of a pair always differ.
func (x *executor) createLink(l *topology.Link) error {
	ends := l.Ends
	if x.masterOf(ends[1]) != "" && x.masterOf(ends[0]) == "" {
		ends[0], ends[1] = ends[1], ends[0]
	}
	a, releaseA, err := x.hs.use(ends[0].Node)
	if err != nil {
		return err
	}
	defer releaseA()
	b, releaseB, err := x.hs.use(ends[1].Node)
	if err != nil {
		return err
	}
	defer releaseB()
	spec := link.VethSpec{
		A: a, B: b,
		AName: ends[0].Interface, BName: ends[1].Interface,
		MTU:  l.MTU,
		AMAC: net.HardwareAddr(ends[0].MAC), BMAC: net.HardwareAddr(ends[1].MAC),
		AMaster: x.masterOf(ends[0]), BMaster: x.masterOf(ends[1]),
		AMasterIndex: x.bridgeIndex(ends[0]), BMasterIndex: x.bridgeIndex(ends[1]),
		Up:     !l.Down,
		AIndex: x.nextIndex(), BIndex: x.nextIndex(),
		FloodQueues: x.floodsOver(ends[0].Node) || x.floodsOver(ends[1].Node),
	}
	err = link.CreateVeth(spec)
	if errors.Is(err, unix.EBUSY) {
		// An index was taken behind our back: let the kernel choose.
		spec.AIndex, spec.BIndex = 0, 0
		err = link.CreateVeth(spec)
	}
	if errors.Is(err, fs.ErrExist) {
		// Left by an interrupted run in our own namespaces: replace.
		if err := x.deleteLink(l); err != nil {
			return err
		}
		err = link.CreateVeth(spec)
	}
	if err != nil {
		return err
	}
	for i, e := range ends {
		ns, idx := []*node.Namespace{a, b}[i], []int{spec.AIndex, spec.BIndex}[i]
		for _, p := range e.Addresses {
			add := func() error { return link.AddAddrAt(ns, e.Interface, idx, p) }
			if idx == 0 {
				add = func() error { return link.AddAddr(ns, e.Interface, p) }
			}
			if err := add(); err != nil {
				return fmt.Errorf("%s: %w", e, err)
			}
		}
		if !e.Impair.IsZero() {
			if err := link.SetImpair(ns, e.Interface, e.Impair); err != nil {
				return fmt.Errorf("%s: %w", e, err)
			}
		}
	}
	return nil
}

// nextIndex hands out interface indexes above every index observed in
// the lab, unique across the lab.
func (x *executor) nextIndex() int {
	return int(x.index.Add(1))
}

func (x *executor) masterOf(e topology.Endpoint) string {
	if n := x.nodes[e.Node]; n != nil && n.Kind == topology.KindSwitch {
		return node.BridgeName
	}
	return ""
}

// deleteLink removes a veth pair by deleting whichever ends exist, or
// a tunnel by deleting its local end (the far one is another site's).
func (x *executor) deleteLink(l *topology.Link) error {
	var errs []error
	ends := l.Ends[:]
	if l.Tunnel != nil {
		ends = ends[:1]
	}
	for _, e := range ends {
		if _, err := node.Inode(topology.Namespace(x.lab.Name, e.Node)); err != nil {
			continue
		}
		ns, release, err := x.hs.use(e.Node)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := link.Delete(ns, e.Interface); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e, err))
		}
		release()
	}
	return errors.Join(errs...)
}

// setSysctl writes a sysctl, first remembering the value it replaces
// so that removing it from the file can restore it, unless it has a
// lab default to go back to.
func (x *executor) setSysctl(ns *node.Namespace, s topology.Step) error {
	x.mu.Lock()
	_, known := x.st.SysctlOriginal[s.Node][s.Key]
	x.mu.Unlock()
	// A key with a lab default goes back to that default, not to what
	// the namespace held (see topology.NodeDefaults).
	if n := x.nodes[s.Node]; n != nil {
		if _, ok := topology.NodeDefault(n.Kind, s.Key); ok {
			known = true
		}
	}
	if !known {
		cur, err := node.ReadSysctls(ns, []string{s.Key})
		if err != nil {
			return err
		}
		x.mu.Lock()
		if x.st.SysctlOriginal == nil {
			x.st.SysctlOriginal = map[string]map[string]string{}
		}
		if x.st.SysctlOriginal[s.Node] == nil {
			x.st.SysctlOriginal[s.Node] = map[string]string{}
		}
		x.st.SysctlOriginal[s.Node][s.Key] = cur[s.Key]
		x.mu.Unlock()
	}
	return node.WriteSysctl(ns, s.Key, s.Value)
}
