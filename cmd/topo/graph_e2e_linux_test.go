package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/pkg/graph"
)

// graphLab: a spanning-tree triangle (one port blocks), a router with an
// impaired link, a host whose route is missing (a failed check pair)
// and a link to take down.
const graphLab = `switches:
  s1: {stp: true, subnet: 10.91.0.0/24}
  s2: {stp: true}
  s3: {stp: true}
hosts:
  h1: {}
  h2: {}
  r1: {forward: true}
  h9:
    routes:
      - {to: default, via: 10.91.9.1}
links:
  - endpoints: [s1, s2]
  - endpoints: [s2, s3]
  - endpoints: [s3, s1]
  - endpoints: [h1, s1]
  - endpoints: [h2, s2]
  - endpoints: [r1, s3]
  - endpoints: [r1:eth1, h9:eth0]
    addresses: [10.91.9.1/24, 10.91.9.2/24]
    rate: 10mbit
expect:
  - {from: h1, to: h2}
  - {from: h9, to: h1}
`

// TestE2EGraphLive draws a running lab: the kernel's link state after
// `topo link down`, the spanning tree's blocking port, the impairment,
// and the failed pair of the last `topo check` with its reason.
func TestE2EGraphLive(t *testing.T) {
	l := newLab(t, "graph", graphLab)
	l.Up()
	// h9 reaches h1 only if h1 routes back: it has no route, so the
	// check fails h9 -> h1 and stores that.
	if r := l.Topo("check", l.Name); r.Code != 1 {
		t.Fatalf("check: want exit 1 (h9 cannot reach h1), got %v", r)
	}
	l.Must("link", "--lab", l.Name, "r1:eth1", "down")
	var g graph.Graph
	out := l.Must("graph", l.Name, "--format", "json").Stdout
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("graph --format json: %v\n%s", err, out)
	}
	blocking := 0
	for _, lk := range g.Links {
		if lk.A.Node == "r1" && lk.B.Node == "h9" {
			if !lk.Down || lk.A.State != "down" || lk.A.Impair != "10mbit" {
				t.Errorf("r1-h9 link: down %v, state %q, impair %q; want down, down, 10mbit", lk.Down, lk.A.State, lk.A.Impair)
			}
		}
		if lk.Blocking {
			blocking++
		}
	}
	if blocking != 1 {
		t.Errorf("%d links with a blocking port, want 1 (a triangle of switches)", blocking)
	}
	var failed *graph.Pair
	for _, p := range g.Pairs {
		if p.From == "h9" && p.To == "h1" {
			failed = p
		}
	}
	if failed == nil || !failed.Checked || failed.OK || failed.Reason == "" {
		t.Errorf("the failed pair h9 -> h1 is not drawn with a reason: %+v", failed)
	}
	// status shows the port column: one port blocks.
	st := l.Must("status", l.Name).Stdout
	if !strings.Contains(st, "PORT") || strings.Count(st, " blocking ") != 1 {
		t.Errorf("status: want a PORT column with one blocking port:\n%s", st)
	}
	svg := l.Must("graph", l.Name, "--format", "svg").Stdout
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("svg of a running lab is not XML: %v", err)
		}
	}
	if !strings.Contains(svg, "stroke-dasharray") || !strings.Contains(svg, "✗ h9 → h1 must reach") {
		t.Errorf("svg: no dashed link or no failed pair:\n%s", svg)
	}
}

// TestE2EGraphFileNoRoot draws a file as nobody: nothing is built and
// no root is needed.
func TestE2EGraphFileNoRoot(t *testing.T) {
	l := newLab(t, "graphf", graphLab)
	data, err := os.ReadFile(l.File)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", e2e.Bin(), "graph", "-", "--format", "mermaid")
	cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+l.StateDir)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "flowchart TB\n") || !strings.Contains(string(out), "r1:eth1 10.91.9.1/24") {
		t.Fatalf("graph - as nobody: %v\n%s", err, out)
	}
	if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
		t.Errorf("graph FILE built namespaces: %v", left)
	}
}

// TestE2EGraphSitesFile: a file with sites is drawn whole without
// --site (each site a frame), and as one site's part with it (the far
// ends of its tunnels remote).
func TestE2EGraphSitesFile(t *testing.T) {
	for _, c := range []struct {
		site   string
		frames []string
		remote []string
	}{
		{"", []string{"m1", "m2", "m3"}, nil},
		{"m2", []string{"m1", "m2", "m3"}, []string{"h3", "s1"}},
		{"m3", []string{"m2", "m3"}, []string{"r1"}},
	} {
		args := []string{"graph", "../../deploy/lab.yaml", "--format", "json"}
		if c.site != "" {
			args = append(args, "--site", c.site)
		}
		cmd := exec.Command(e2e.Bin(), args...)
		cmd.Env = append(os.Environ(), "TOPO_SITE=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("topo %s: %v", strings.Join(args, " "), err)
		}
		var g graph.Graph
		if err := json.Unmarshal(out, &g); err != nil {
			t.Fatal(err)
		}
		var frames, remote []string
		for _, f := range g.Sites {
			frames = append(frames, f.Name)
		}
		for _, n := range g.Nodes {
			if n.Remote {
				remote = append(remote, n.ID)
			}
		}
		sort.Strings(remote)
		if !slices.Equal(frames, c.frames) || !slices.Equal(remote, c.remote) {
			t.Errorf("--site %q: frames %v, remote nodes %v; want %v, %v", c.site, frames, remote, c.frames, c.remote)
		}
	}
}
