package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// sysctlTreeRoots are the parts of /proc/sys/net that each network
// namespace has of its own.
var sysctlTreeRoots = []string{"ipv4", "ipv6", "core", "unix", "netfilter", "bridge", "mptcp"}

// RefIface is the interface whose settings stand for every veth of a
// node in FreshSysctls.
const RefIface = "ref0"

// ReadSysctlTree reads every net.* setting of ns that can be both read
// and written (see sysctlTreeRoots), keyed by dotted name. Settings
// that are secret, write-only or tied to one interface's hardware
// (IPv6 mtu) are left out, and so are interfaces whose names hold a
// dot. One walk of /proc/sys/net on a thread switched into ns.
func ReadSysctlTree(ns *Namespace) (map[string]string, error) {
	m, err := acquireSysMount()
	if err != nil {
		return nil, fmt.Errorf("%s: read sysctls: open /proc: %w", ns.Name, err)
	}
	defer m.release()
	var out map[string]string
	err = ns.Do(func() error {
		var err error
		out, err = readSysctlTree(m.path())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read sysctls: %w", ns.Name, err)
	}
	return out, nil
}

// readSysctlTree is ReadSysctlTree on the calling thread's namespace,
// under proc, the path of a procfs root ending in a slash.
func readSysctlTree(proc string) (map[string]string, error) {
	out := map[string]string{}
	for _, root := range sysctlTreeRoots {
		base := proc + "sys/net/" + root
		err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // a module not loaded
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel := strings.TrimPrefix(path, proc+"sys/")
			if strings.Contains(rel, ".") {
				return nil
			}
			key := strings.ReplaceAll(rel, "/", ".")
			info, err := d.Info()
			if err != nil || info.Mode().Perm()&0o600 != 0o600 || skipSysctl(key) {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil // unreadable by design (EIO, EPERM, EINVAL)
			}
			out[key] = strings.Join(strings.Fields(string(b)), " ")
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// skipSysctl reports a setting that says nothing of what was done in
// the namespace: a secret made at random, or a value the interface's
// hardware sets.
func skipSysctl(key string) bool {
	last := key[strings.LastIndex(key, ".")+1:]
	switch last {
	case "stable_secret", "tcp_fastopen_key", "mtu":
		return true
	}
	return false
}

// FreshSysctls returns the net.* settings of a node as topo makes it:
// a throwaway namespace is given create (as Create does), lo up, a
// veth pair whose first end, RefIface, stands for every veth of the
// node (and, with bridge, the bridge BridgeName), then the settings
// after (as the plan's sysctl steps do; one the namespace lacks, such
// as a setting of a named interface, is skipped). The namespace is
// gone when FreshSysctls returns.
func FreshSysctls(create []Sysctl, bridge bool, after []Sysctl) (map[string]string, error) {
	m, err := acquireSysMount()
	if err != nil {
		return nil, fmt.Errorf("read a fresh node's sysctls: open /proc: %w", err)
	}
	defer m.release()
	proc := m.path()
	var out map[string]string
	err = InThrowawayNetns(func() error {
		for _, sc := range create {
			if err := writeSysctlHere(proc, sc); err != nil {
				return err
			}
		}
		h, err := netlink.NewHandle()
		if err != nil {
			return err
		}
		defer h.Close()
		if err := h.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}}); err != nil {
			return fmt.Errorf("set lo up: %w", err)
		}
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: RefIface}, PeerName: "ref1"}
		if err := h.LinkAdd(veth); err != nil {
			return fmt.Errorf("make a veth pair: %w", err)
		}
		if bridge {
			if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: BridgeName}}); err != nil {
				return fmt.Errorf("make a bridge: %w", err)
			}
		}
		for _, sc := range after {
			sc.Optional = true
			if err := writeSysctlHere(proc, sc); err != nil {
				return err
			}
		}
		out, err = readSysctlTree(proc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read a fresh node's sysctls: %w", err)
	}
	return out, nil
}

// writeSysctlHere writes one setting in the calling thread's
// namespace, under proc (see readSysctlTree); an Optional one the
// kernel lacks is skipped.
func writeSysctlHere(proc string, sc Sysctl) error {
	if _, err := sysctlPath(sc.Key); err != nil {
		return err
	}
	err := writeProcFile(proc+sysctlRel(sc.Key), sc.Value)
	if errors.Is(err, fs.ErrNotExist) && sc.Optional || errors.Is(err, unix.EINVAL) && sc.Optional {
		return nil
	}
	if err != nil {
		return fmt.Errorf("set sysctl %s=%s: %w", sc.Key, sc.Value, err)
	}
	return nil
}

// FreshKey maps a node's setting to the one of FreshSysctls that stands
// for it: an interface's settings (net.ipv4.conf.eth0.rp_filter) to
// RefIface's, unless the interface is lo, the bridge, or one of "all"
// and "default".
func FreshKey(key string) string {
	parts := strings.Split(key, ".")
	if len(parts) < 5 || parts[0] != "net" || parts[1] != "ipv4" && parts[1] != "ipv6" || parts[2] != "conf" && parts[2] != "neigh" {
		return key
	}
	switch parts[3] {
	case "all", "default", "lo", BridgeName:
		return key
	}
	parts[3] = RefIface
	return strings.Join(parts, ".")
}
