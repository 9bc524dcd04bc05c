package lab

import (
	"net/netip"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// heldTargets resolves the client-addressed hosts the expectations go
// to (see heldTarget), reading each one's addresses once from its
// namespace: the address each stands for, or why it has none.
func heldTargets(l *topology.Lab, expect []*topology.Expectation) map[string]heldResult {
	out := map[string]heldResult{}
	var hs *handles
	for _, e := range expect {
		name := e.To
		if _, done := out[name]; done || !clientAddressed(l, name) {
			continue
		}
		if hs == nil {
			_, own, err := loadOwnership(l.Name)
			if err != nil {
				out[name] = heldResult{err: err}
				continue
			}
			hs = newHandles(own)
			defer hs.close()
		}
		held, err := readHeld(hs, name)
		if err != nil {
			out[name] = heldResult{err: err}
			continue
		}
		a, err := heldTarget(l, name, held)
		out[name] = heldResult{addr: a, err: err}
	}
	return out
}

// heldResult is the address a client-addressed host holds, or why it
// holds none.
type heldResult struct {
	addr netip.Addr
	err  error
}

// readHeld maps each interface of a node to its global addresses.
func readHeld(hs *handles, name string) (map[string][]netip.Addr, error) {
	ns, release, err := hs.use(name)
	if err != nil {
		return nil, err
	}
	defer release()
	ifs, err := probe.ReadInterfaces(ns)
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, lk := range ifs.Links {
		names[lk.Attrs().Index] = lk.Attrs().Name
	}
	out := map[string][]netip.Addr{}
	for _, a := range ifs.Addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || a.Scope != unix.RT_SCOPE_UNIVERSE || ip.Unmap().IsLinkLocalUnicast() {
			continue
		}
		out[names[a.LinkIndex]] = append(out[names[a.LinkIndex]], ip.Unmap())
	}
	return out, nil
}

// HeldAddress is the address a node whose addresses come from its own
// client (addresses: dhcp, dhcp6 or slaac on its ends, none from the
// file) stands for now: what it holds, read from its namespace (see
// heldTarget), or why it holds none. dynamic is false, and nothing is
// read, for a node the file gives an address (or no node at all): the
// caller takes the file's. The lab must be up; needs root.
func HeldAddress(l *topology.Lab, name string) (addr netip.Addr, dynamic bool, err error) {
	if !clientAddressed(l, name) {
		return netip.Addr{}, false, nil
	}
	r := heldTargets(l, []*topology.Expectation{{To: name}})[name]
	return r.addr, true, r.err
}
