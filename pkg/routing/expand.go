package routing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// DaemonDir is where Debian's frr package puts the daemons.
const DaemonDir = "/usr/lib/frr"

// Service names of the FRR daemons, as `topo status` lists them.
const (
	svcZebra  = "zebra"
	svcOSPF   = "ospfd"
	svcOSPF6  = "ospf6d"
	svcBGP    = "bgpd"
	confDir   = "/etc/frr"
	runDir    = "/var/run/frr"
	frrConfig = confDir + "/frr.conf"
)

// Check says, in one sentence, when the lab needs FRR and the machine
// lacks it; nil otherwise.
func Check(l *topology.Lab) error {
	if !l.NeedsFRR() {
		return nil
	}
	var routers []string
	for _, n := range l.Nodes {
		if l.RunsFRR(n) {
			routers = append(routers, n.Name)
		}
	}
	for _, d := range []string{"zebra", "ospfd", "bgpd", "vtysh"} {
		p := DaemonDir + "/" + d
		if d == "vtysh" {
			p = "/usr/bin/vtysh"
		}
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("lab %s routes with FRR on %s, but FRR is not installed (%s is missing): install it with `apt-get install frr`", l.Name, list(routers), p)
		}
	}
	return nil
}

func list(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	return strings.Join(names, ", ")
}

// Expand returns a copy of the lab in which every router that runs
// FRR has /etc/frr and /var/run/frr private, its generated
// configuration in files (a file the node sets itself wins), and the
// daemons as services (zebra first). A daemon's definition carries a
// digest of its configuration, so a changed configuration restarts it.
// Labs without routing come back as they are.
func Expand(l *topology.Lab) *topology.Lab {
	if !l.NeedsFRR() {
		return l
	}
	out := *l
	out.Nodes = make([]*topology.Node, len(l.Nodes))
	g := newGraph(l)
	for i, n := range l.Nodes {
		if !l.RunsFRR(n) {
			out.Nodes[i] = n
			continue
		}
		c := *n
		c.Private = mergePaths(n.Private, topology.FRRPrivate)
		c.Files = map[string]string{}
		conf := g.configs(n)
		for name, text := range conf {
			c.Files[confDir+"/"+name] = text
		}
		for p, v := range n.Files {
			c.Files[p] = v
		}
		daemons := []string{svcZebra}
		// An OSPF router runs OSPFv2 for its IPv4 and OSPFv3 for its
		// IPv6; a daemon with no address of its family would only idle.
		if l.RunsOSPF(n) && g.hasIPv4(n) {
			daemons = append(daemons, svcOSPF)
		}
		if l.RunsOSPF(n) && g.hasIPv6(n) {
			daemons = append(daemons, svcOSPF6)
		}
		if n.BGP != nil {
			daemons = append(daemons, svcBGP)
		}
		var svcs []*topology.Service
		for _, d := range daemons {
			file := confDir + "/" + d + ".conf"
			s := &topology.Service{
				Name:    d,
				Command: fmt.Sprintf("%s/%s -f %s --log stdout", DaemonDir, d, file),
				Restart: topology.RestartAlways,
				Env:     map[string]string{"TOPO_CONFIG": digest(c.Files[file])},
			}
			if d != svcZebra {
				// zebra's socket must be there first: a daemon that
				// finds none retries only 10 s later.
				s.After = []string{svcZebra}
				s.Command = "while [ ! -S " + runDir + "/zserv.api ]; do sleep 0.02; done; exec " + s.Command
			}
			svcs = append(svcs, s)
		}
		c.Services = append(svcs, n.Services...)
		out.Nodes[i] = &c
	}
	return &out
}

func mergePaths(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, p := range b {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
