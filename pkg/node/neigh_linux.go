package node

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// NeighbourRoom says how many more entries the kernel's neighbour table
// of a family (unix.AF_INET: ARP, unix.AF_INET6: NDP) takes before it
// refuses new ones. The table is one for all namespaces of the machine,
// bounded by gc_thresh3 (1024 by default), and the kernel will not evict
// an entry younger than 5 s to make room; so probing many pairs at once
// must stay under this number. It only reads the root namespace's
// settings. Any goroutine.
func NeighbourRoom(family int) (int, error) {
	thresh, stat := "/proc/sys/net/ipv4/neigh/default/gc_thresh3", "/proc/net/stat/arp_cache"
	if family == unix.AF_INET6 {
		thresh, stat = "/proc/sys/net/ipv6/neigh/default/gc_thresh3", "/proc/net/stat/ndisc_cache"
	}
	max, err := readIntFile(thresh)
	if err != nil {
		return 0, err
	}
	used, err := neighbourEntries(stat)
	if err != nil {
		return 0, err
	}
	return max - used, nil
}

// NeighbourTableMax reads gc_thresh3 of a family's neighbour table
// (unix.AF_INET or unix.AF_INET6): the most entries it holds, for all
// namespaces of the machine together. Any goroutine.
func NeighbourTableMax(family int) (int, error) {
	if family == unix.AF_INET6 {
		return readIntFile("/proc/sys/net/ipv6/neigh/default/gc_thresh3")
	}
	return readIntFile("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
}

// NeighbourTableFulls reads how many times, since boot, the kernel's
// neighbour table of a family (unix.AF_INET or unix.AF_INET6) was full
// when an entry was to be made (table_fulls in
// /proc/net/stat/{arp,ndisc}_cache, summed over the CPUs): read before
// and after probing, a difference means some probes had no entry and
// were dropped. Machine-wide; any goroutine.
func NeighbourTableFulls(family int) (uint64, error) {
	path := "/proc/net/stat/arp_cache"
	if family == unix.AF_INET6 {
		path = "/proc/net/stat/ndisc_cache"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return tableFulls(path, string(b))
}

// tableFulls sums the table_fulls column of a neighbour statistics
// file's text (one header line, then one line of hex numbers per CPU).
// Pure.
func tableFulls(path, text string) (uint64, error) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "table_fulls" {
			col = i
		}
	}
	if col < 0 {
		return 0, fmt.Errorf("%s: no table_fulls column", path)
	}
	var sum uint64
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= col {
			return 0, fmt.Errorf("%s: short line %q", path, l)
		}
		n, err := strconv.ParseUint(f[col], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		sum += n
	}
	return sum, nil
}

// InputBacklog reads net.core.netdev_max_backlog, how many received
// frames each CPU queues before dropping: one frame flooded to more
// ports than that at once loses copies. Machine-wide; any goroutine.
func InputBacklog() (int, error) {
	return readIntFile("/proc/sys/net/core/netdev_max_backlog")
}

// readIntFile reads a file holding one decimal number, such as a
// root-namespace sysctl under /proc/sys.
func readIntFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// neighbourEntries reads the table's entry count (first column, hex)
// from /proc/net/stat/{arp,ndisc}_cache.
func neighbourEntries(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	if !sc.Scan() {
		return 0, fmt.Errorf("%s: no statistics", path)
	}
	fields := strings.Fields(sc.Text())
	if len(fields) == 0 {
		return 0, fmt.Errorf("%s: no statistics", path)
	}
	n, err := strconv.ParseUint(fields[0], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return int(n), nil
}

// FlushNeighbours deletes the learned (not permanent) neighbour entries
// of ns of one family (unix.AF_INET, unix.AF_INET6, or unix.AF_UNSPEC
// for both), as `ip neigh flush all` would, with one dump and the
// deletions batched into few messages. An entry already gone is
// success. Any goroutine; no thread switches.
func FlushNeighbours(ns *Namespace, family int) error {
	return flushNeighbours(ns, family, false)
}

// ClearNeighbours deletes every neighbour entry of ns, both families,
// the permanent ones (`ip neigh replace ... nud permanent`) too: what a
// new namespace holds. Entries the kernel keeps for itself (NOARP,
// multicast) stay. Any goroutine.
func ClearNeighbours(ns *Namespace) error {
	return flushNeighbours(ns, unix.AF_UNSPEC, true)
}

// CountNeighbours counts the entries ClearNeighbours would delete.
func CountNeighbours(ns *Namespace) (int, error) {
	neighs, err := RetryDump(func() ([]netlink.Neigh, error) { return ns.NL.NeighList(0, unix.AF_UNSPEC) })
	if err != nil {
		return 0, fmt.Errorf("%s: list neighbours: %w", ns.Name, err)
	}
	n := 0
	for i := range neighs {
		if !kernelNeighbour(&neighs[i]) {
			n++
		}
	}
	return n, nil
}

// kernelNeighbour reports an entry the kernel keeps for itself.
func kernelNeighbour(n *netlink.Neigh) bool {
	return n.State&netlink.NUD_NOARP != 0 || n.IP.IsMulticast() || n.IP == nil
}

func flushNeighbours(ns *Namespace, family int, permanent bool) error {
	neighs, err := RetryDump(func() ([]netlink.Neigh, error) { return ns.NL.NeighList(0, family) })
	if err != nil {
		return fmt.Errorf("%s: list neighbours: %w", ns.Name, err)
	}
	var reqs []*nl.NetlinkRequest
	var ips []net.IP
	for i := range neighs {
		n := &neighs[i]
		if kernelNeighbour(n) || n.State&netlink.NUD_PERMANENT != 0 && !permanent {
			continue
		}
		ip, fam := n.IP.To4(), unix.AF_INET
		if ip == nil {
			ip, fam = n.IP.To16(), unix.AF_INET6
		}
		req := nl.NewNetlinkRequest(unix.RTM_DELNEIGH, unix.NLM_F_ACK)
		req.AddData(&netlink.Ndmsg{Family: uint8(fam), Index: uint32(n.LinkIndex)})
		req.AddData(nl.NewRtAttr(netlink.NDA_DST, ip))
		reqs, ips = append(reqs, req), append(ips, n.IP)
	}
	errs, err := ns.requestBatch(reqs)
	if err != nil {
		return fmt.Errorf("%s: delete neighbours: %w", ns.Name, err)
	}
	for i, err := range errs {
		if err != nil && !errIsAbsent(err) {
			return fmt.Errorf("%s: delete neighbour %s: %w", ns.Name, ips[i], err)
		}
	}
	return nil
}
