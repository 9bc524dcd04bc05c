// Package genfile reads the labs that `topo gen` prints, just enough
// for the benchmark's own programs (the kernel floor and the driver):
// node names, the links between them and the hosts' addresses. It
// deliberately uses no topo package, so the floor measures the kernel
// and not topo's code.
package genfile

import (
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lab is a generated lab.
type Lab struct {
	Name     string
	Hosts    []string // sorted by name
	Switches []string // sorted by name
	Links    []Link
}

// End is one end of a link: a node and, for a host, its interface and
// address.
type End struct {
	Node   string
	Switch bool
	Iface  string       // host ends only
	Addr   netip.Prefix // host ends only; invalid when none
}

// Link joins two ends.
type Link struct{ A, B End }

type file struct {
	Name     string         `yaml:"name"`
	Hosts    map[string]any `yaml:"hosts"`
	Switches map[string]any `yaml:"switches"`
	Links    []struct {
		Endpoints []string `yaml:"endpoints"`
		Addresses []string `yaml:"addresses"`
	} `yaml:"links"`
}

// Load reads a file printed by `topo gen`.
func Load(path string) (*Lab, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lab := &Lab{Name: f.Name}
	for h := range f.Hosts {
		lab.Hosts = append(lab.Hosts, h)
	}
	for s := range f.Switches {
		lab.Switches = append(lab.Switches, s)
	}
	sortNatural(lab.Hosts)
	sortNatural(lab.Switches)
	for i, l := range f.Links {
		if len(l.Endpoints) != 2 {
			return nil, fmt.Errorf("%s: link %d: want 2 endpoints", path, i+1)
		}
		var ends [2]End
		var hostEnds []*End
		for j, ep := range l.Endpoints {
			node, iface, _ := strings.Cut(ep, ":")
			_, isSwitch := f.Switches[node]
			if _, isHost := f.Hosts[node]; !isHost && !isSwitch {
				return nil, fmt.Errorf("%s: link %d: unknown node %q", path, i+1, node)
			}
			ends[j] = End{Node: node, Switch: isSwitch, Iface: iface}
			if !isSwitch {
				hostEnds = append(hostEnds, &ends[j])
			}
		}
		// One address per endpoint, or one for the host end of a
		// host-switch link (the file format's rule).
		switch {
		case len(l.Addresses) == 2:
			for j := range ends {
				if err := setAddr(&ends[j], l.Addresses[j]); err != nil {
					return nil, fmt.Errorf("%s: link %d: %w", path, i+1, err)
				}
			}
		case len(l.Addresses) == 1 && len(hostEnds) == 1:
			if err := setAddr(hostEnds[0], l.Addresses[0]); err != nil {
				return nil, fmt.Errorf("%s: link %d: %w", path, i+1, err)
			}
		case len(l.Addresses) != 0:
			return nil, fmt.Errorf("%s: link %d: cannot place %d addresses", path, i+1, len(l.Addresses))
		}
		lab.Links = append(lab.Links, Link{A: ends[0], B: ends[1]})
	}
	return lab, nil
}

func setAddr(e *End, s string) error {
	if s == "" {
		return nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return err
	}
	e.Addr = p
	return nil
}

// HostAddrs maps each host to its first address, in link order.
func (l *Lab) HostAddrs() map[string]netip.Addr {
	m := map[string]netip.Addr{}
	for _, lk := range l.Links {
		for _, e := range []End{lk.A, lk.B} {
			if !e.Switch && e.Addr.IsValid() {
				if _, ok := m[e.Node]; !ok {
					m[e.Node] = e.Addr.Addr()
				}
			}
		}
	}
	return m
}

// sortNatural sorts names like h2 before h10: by the letters, then by
// the number that follows them.
func sortNatural(names []string) {
	key := func(s string) (string, int) {
		i := strings.IndexAny(s, "0123456789")
		if i < 0 {
			return s, -1
		}
		n, err := strconv.Atoi(s[i:])
		if err != nil {
			return s, -1
		}
		return s[:i], n
	}
	sort.Slice(names, func(i, j int) bool {
		pi, ni := key(names[i])
		pj, nj := key(names[j])
		if pi != pj {
			return pi < pj
		}
		if ni != nj {
			return ni < nj
		}
		return names[i] < names[j]
	})
}
