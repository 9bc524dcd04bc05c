package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

// withSites splits a generated lab over n sites: in runs of nodes in
// file order (each site a piece of the lab), or round robin (most links
// become tunnels). Links between sites get a VNI, as the file's
// validation would give them.
func withSites(l *topology.Lab, n int, roundRobin bool) *topology.Lab {
	for i := range n {
		l.Sites = append(l.Sites, &topology.Site{Name: fmt.Sprintf("m%d", i+1), Underlay: netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), Port: 4789, MTU: 1500})
	}
	for i, nd := range l.Nodes {
		k := i * n / len(l.Nodes)
		if roundRobin {
			k = i % n
		}
		nd.Site = l.Sites[k].Name
	}
	site := map[string]string{}
	for _, nd := range l.Nodes {
		site[nd.Name] = nd.Site
	}
	for i, lk := range l.Links {
		if site[lk.Ends[0].Node] != site[lk.Ends[1].Node] {
			lk.VNI = 5000 + i
		}
	}
	return l
}

// siteShapes are generated labs split over 2 to 4 sites.
var siteShapes = []struct {
	kind  string
	args  []int
	sites int
}{
	{"linear", []int{2}, 2}, {"linear", []int{10}, 3}, {"tree", []int{2, 4}, 2}, {"tree", []int{2, 4}, 4},
	{"tree", []int{3, 3}, 3}, {"star", []int{10}, 2}, {"ring", []int{12}, 4}, {"ring", []int{30}, 3},
	{"fattree", []int{4}, 4}, {"tree", []int{2, 20}, 2}, {"single", []int{3}, 4},
}

// checkFrames fails when any two boxes of g overlap, a box is outside
// the drawing, a node or the label of a link inside a site is outside
// its site's frame, or anything of one site (or a tunnel's label)
// overlaps another site's frame.
func checkFrames(t *testing.T, what string, g *Graph) {
	t.Helper()
	names, bs := boxes(g)
	owner := make([]string, len(bs)) // the site each box belongs in; "" for a tunnel's label
	for i, n := range g.Nodes {
		owner[i] = n.Site
	}
	site := map[string]string{}
	for _, n := range g.Nodes {
		site[n.ID] = n.Site
	}
	for i, l := range g.Links {
		if s := site[l.A.Node]; s == site[l.B.Node] {
			owner[len(g.Nodes)+i] = s
		} else if l.VNI == 0 {
			t.Errorf("%s: link %s joins sites %s and %s but has no VNI", what, l.ID, s, site[l.B.Node])
		}
	}
	inside := func(b, f Box) bool { return b.X >= f.X && b.Y >= f.Y && b.X+b.W <= f.X+f.W && b.Y+b.H <= f.Y+f.H }
	all := Box{0, 0, g.Width, g.Height}
	for i, b := range bs {
		if b.W <= 0 || b.H <= 0 || !inside(b, all) {
			t.Errorf("%s: %s %+v is not inside the %dx%d drawing", what, names[i], b, g.Width, g.Height)
		}
		for j := i + 1; j < len(bs); j++ {
			if overlap(b, bs[j]) {
				t.Errorf("%s: %s %+v overlaps %s %+v", what, names[i], b, names[j], bs[j])
			}
		}
		for _, f := range g.Sites {
			switch {
			case owner[i] == f.Name && !inside(b, f.Box):
				t.Errorf("%s: %s %+v of site %s is not inside its frame %+v", what, names[i], b, f.Name, f.Box)
			case owner[i] != f.Name && overlap(b, f.Box):
				t.Errorf("%s: %s %+v (site %q) overlaps the frame of site %s %+v", what, names[i], b, owner[i], f.Name, f.Box)
			}
		}
	}
	for i, f := range g.Sites {
		if !inside(f.Box, all) || textWidth(f.Title())+2*framePad > f.W {
			t.Errorf("%s: frame of %s %+v is outside the drawing or narrower than its title", what, f.Name, f.Box)
		}
		for _, e := range g.Sites[i+1:] {
			if overlap(f.Box, e.Box) {
				t.Errorf("%s: frames of %s and %s overlap", what, f.Name, e.Name)
			}
		}
	}
}

func TestSitesLayoutNoOverlap(t *testing.T) {
	for _, s := range siteShapes {
		for _, rr := range []bool{false, true} {
			what := fmt.Sprint(s.kind, s.args, " over ", s.sites, " sites, round robin ", rr)
			g := Build(withSites(genLab(t, s.kind, s.args...), s.sites, rr), Options{})
			if len(g.Sites) != s.sites {
				t.Errorf("%s: %d frames", what, len(g.Sites))
			}
			for _, n := range g.Nodes {
				if n.Site == "" {
					t.Errorf("%s: node %s has no site", what, n.ID)
				}
			}
			checkFrames(t, what, g)
		}
	}
}

func TestSitesDeterministic(t *testing.T) {
	for _, s := range siteShapes {
		for _, f := range []func(*Graph) []byte{SVG, JSON, DOT, Mermaid} {
			first := f(Build(withSites(genLab(t, s.kind, s.args...), s.sites, true), Options{}))
			for range 3 {
				if again := f(Build(withSites(genLab(t, s.kind, s.args...), s.sites, true), Options{})); !bytes.Equal(first, again) {
					t.Fatalf("%s %v over %d sites: two drawings of the same lab differ", s.kind, s.args, s.sites)
				}
			}
		}
	}
}

// sitesFile is deploy/lab.yaml's shape: three sites, a switch on m1
// with a host of m2, a router on m2 with a host on m3.
const sitesFile = `name: three-sites
sites:
  m1: {underlay: 192.0.2.1}
  m2: {underlay: 192.0.2.2}
  m3: {underlay: 192.0.2.3}
hosts:
  h1: {site: m1}
  h2: {site: m2}
  r1: {site: m2, forward: true}
  h3: {site: m3}
switches:
  s1: {site: m1}
links:
  - endpoints: [h1:eth0, s1]
    addresses: [10.0.1.1/24]
  - endpoints: [h2:eth0, s1]
    addresses: [10.0.1.2/24]
  - endpoints: [r1:eth0, s1]
    addresses: [10.0.1.254/24]
  - endpoints: [r1:eth1, h3:eth0]
    addresses: [10.0.2.254/24, 10.0.2.3/24]
    vni: 5001
`

func sitesGraph(t testing.TB) *Graph {
	l, _, err := topology.Parse("sites.yaml", []byte(sitesFile))
	if err != nil {
		t.Fatal(err)
	}
	return Build(l, Options{})
}

// TestSitesFromFile: a file's sites are frames titled with name and
// underlay, every node says its site, and the links between sites are
// tunnels labelled with their VNI, in every format.
func TestSitesFromFile(t *testing.T) {
	g := sitesGraph(t)
	var titles []string
	for _, f := range g.Sites {
		titles = append(titles, f.Title())
	}
	if want := []string{"m1 192.0.2.1", "m2 192.0.2.2", "m3 192.0.2.3"}; !slices.Equal(titles, want) {
		t.Errorf("frames %q, want %q", titles, want)
	}
	if n := findNode(g, "r1"); n.Site != "m2" || n.Remote {
		t.Errorf("r1: site %q remote %v", n.Site, n.Remote)
	}
	var tunnel *Link
	for _, l := range g.Links {
		if l.A.Node == "r1" && l.B.Node == "h3" {
			tunnel = l
		}
		if l.A.Node == "h1" && l.VNI != 0 {
			t.Errorf("link %s inside m1 has VNI %d", l.ID, l.VNI)
		}
	}
	if tunnel == nil || tunnel.VNI != 5001 || !slices.Contains(tunnel.Lines, "tunnel vni 5001") {
		t.Fatalf("tunnel r1 ~ h3: %+v", tunnel)
	}
	checkFrames(t, "three-sites", g)
	svg, dot, mm := string(SVG(g)), string(DOT(g)), string(Mermaid(g))
	for what, want := range map[string][]string{
		svg: {`<g class="site" data-id="m2">`, ">m2 192.0.2.2</text>", ">tunnel vni 5001</text>"},
		dot: {`subgraph "cluster_m3" {`, `label="m3 192.0.2.3"`, `tunnel vni 5001`},
		mm:  {`subgraph site1["m2 192.0.2.2"]`, "    n1[\"h2\"]\n", `tunnel vni 5001`},
	} {
		for _, w := range want {
			if !strings.Contains(what, w) {
				t.Errorf("no %q in:\n%s", w, what)
			}
		}
	}
}

// TestSitesPart: one site's part (what a running lab on one machine
// holds) draws its own frame and, for its tunnels, their far ends as
// remote nodes in their sites' frames; a site with nothing drawn has no
// frame.
func TestSitesPart(t *testing.T) {
	l, _, err := topology.Parse("sites.yaml", []byte(sitesFile))
	if err != nil {
		t.Fatal(err)
	}
	part, err := l.ForSite("m1")
	if err != nil {
		t.Fatal(err)
	}
	g := Build(part, Options{})
	var frames []string
	for _, f := range g.Sites {
		frames = append(frames, f.Name)
	}
	if !slices.Equal(frames, []string{"m1", "m2"}) {
		t.Errorf("frames %v, want m1 and m2 (m3 has nothing m1 reaches)", frames)
	}
	for _, id := range []string{"h2", "r1"} {
		if n := findNode(g, id); n == nil || !n.Remote || n.Site != "m2" {
			t.Errorf("far end %s: %+v", id, n)
		}
	}
	if n := findNode(g, "s1"); n == nil || n.Remote {
		t.Errorf("s1: %+v", n)
	}
	checkFrames(t, "m1's part", g)
}

// TestSitesDOTClusters: Graphviz reads the DOT of a lab with sites and
// puts each site's nodes in its cluster.
func TestSitesDOTClusters(t *testing.T) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz): DOT clusters not checked")
	}
	for _, g := range []*Graph{sitesGraph(t), Build(withSites(genLab(t, "fattree", 4), 4, true), Options{})} {
		cmd := exec.Command(bin, "-Tjson")
		cmd.Stdin = bytes.NewReader(DOT(g))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("dot rejects the DOT of %s: %v\n%s\n%s", g.Lab, err, stderr.String(), DOT(g))
		}
		var doc struct {
			Objects []struct {
				Name  string `json:"name"`
				Label string `json:"label"`
				Nodes []int  `json:"nodes"`
			} `json:"objects"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		index := map[string]int{}
		for i, o := range doc.Objects {
			index[o.Name] = i
		}
		for _, f := range g.Sites {
			i, ok := index["cluster_"+f.Name]
			if !ok {
				t.Errorf("%s: dot has no cluster_%s", g.Lab, f.Name)
				continue
			}
			c := doc.Objects[i]
			if c.Label != f.Title() {
				t.Errorf("%s: cluster_%s labelled %q", g.Lab, f.Name, c.Label)
			}
			var in []string
			for _, k := range c.Nodes {
				in = append(in, doc.Objects[k].Name)
			}
			for _, n := range g.Nodes {
				if (n.Site == f.Name) != slices.Contains(in, n.ID) {
					t.Errorf("%s: node %s (site %s) in cluster_%s: %v", g.Lab, n.ID, n.Site, f.Name, slices.Contains(in, n.ID))
				}
			}
		}
	}
}
