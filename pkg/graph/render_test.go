package graph

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// richLab has every kind of node and label: a router, a switch with a
// subnet, an impaired link, a down link, IPv6, expectations, and a
// name that needs quoting in every format.
const richLab = `name: rich
switches:
  s1: {subnet: 10.0.1.0/24}
hosts:
  h1: {}
  h2: {}
  r1: {forward: true}
  h3: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
  - endpoints: [r1, s1]
  - endpoints: [r1:eth1, h3:eth0]
    addresses: [[10.0.2.1/24, "fd00:2::1/64"], [10.0.2.2/24, "fd00:2::2/64"]]
    rate: 10mbit
    delay: 20ms
    loss: 1%
  - endpoints: [h2:eth9, h3:eth9]
    addresses: [10.0.9.1/30, 10.0.9.2/30]
    state: down
expect:
  - {from: h1, to: h3}
  - {from: h2, to: h3, reach: false}
`

func rich(t testing.TB) *topology.Lab {
	t.Helper()
	l, _, err := topology.Parse("rich.yaml", []byte(richLab))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func richGraph(t testing.TB) *Graph {
	live := &Live{Check: []CheckedPair{{From: "h1", To: "h3", Reach: true, OK: false, Reason: "no-route"}}}
	l := rich(t)
	// A running lab's live state: every interface as the file says,
	// with r1's port on s1 blocking.
	live.Ifaces = map[string]LiveIface{}
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			li := LiveIface{State: "up", Impair: e.Impair}
			for _, a := range e.Addresses {
				li.Addresses = append(li.Addresses, a.String())
			}
			if lk.Down {
				li.State = "down"
			}
			if e.Node == "s1" && strings.Contains(e.Interface, "r1") {
				li.Port = "blocking"
			}
			live.Ifaces[e.String()] = li
		}
	}
	return Build(l, Options{Expect: true, Live: live})
}

func TestRichModel(t *testing.T) {
	g := richGraph(t)
	kinds := map[string]string{}
	for _, n := range g.Nodes {
		kinds[n.ID] = n.Kind
	}
	if kinds["r1"] != KindRouter || kinds["s1"] != KindSwitch || kinds["h1"] != KindHost {
		t.Errorf("kinds: %v", kinds)
	}
	var impaired, down, blocking *Link
	for _, l := range g.Links {
		switch {
		case l.A.Node == "r1" && l.B.Node == "h3":
			impaired = l
		case l.Down:
			down = l
		case l.Blocking:
			blocking = l
		}
	}
	if impaired == nil || !slices.Contains(impaired.Lines, "10mbit 20ms 1%") ||
		impaired.Lines[0] != "r1:eth1 10.0.2.1/24 fd00:2::1/64" {
		t.Errorf("impaired link: %+v", impaired)
	}
	if down == nil || down.A.Iface != "eth9" {
		t.Errorf("down link: %+v", down)
	}
	if blocking == nil || !strings.Contains(strings.Join(blocking.Lines, "\n"), "[blocking]") {
		t.Errorf("blocking link: %+v", blocking)
	}
	if s1 := findNode(g, "s1"); !slices.Contains(s1.Lines, "10.0.1.0/24") {
		t.Errorf("s1 does not show its LAN's subnet: %q", s1.Lines)
	}
	if len(g.Pairs) != 2 || !g.Pairs[0].Checked || g.Pairs[0].OK || g.Pairs[0].Reason != "no-route" || g.Pairs[1].Checked {
		t.Errorf("pairs: %+v %+v", g.Pairs[0], g.Pairs[1])
	}
	if !findNode(g, "h1").Failed || findNode(g, "h2").Failed {
		t.Error("h1 (in the failed pair) must be marked failed, h2 not")
	}
}

func TestShortImpair(t *testing.T) {
	for _, c := range []struct {
		m    topology.Impairment
		want string
	}{
		{topology.Impairment{Rate: 10_000_000, Delay: 20 * time.Millisecond, Loss: 1}, "10mbit 20ms 1%"},
		{topology.Impairment{Delay: 100 * time.Millisecond, Jitter: 5 * time.Millisecond}, "100ms±5ms"},
		{topology.Impairment{Delay: 1500 * time.Millisecond}, "1.5s"},
		{topology.Impairment{Delay: 2 * time.Minute}, "2m"},
		{topology.Impairment{Loss: 0.5, Duplicate: 2}, "0.5% dup 2%"},
		{topology.Impairment{}, ""},
	} {
		if got := ShortImpair(&c.m); got != c.want {
			t.Errorf("ShortImpair(%+v) = %q, want %q", c.m, got, c.want)
		}
	}
}

// TestSVGWellFormed: the SVG is XML a parser accepts, and every node's
// name and every link label is in its text.
func TestSVGWellFormed(t *testing.T) {
	graphs := map[string]*Graph{"rich": richGraph(t)}
	for _, s := range shapes {
		graphs[fmt.Sprint(s.kind, s.args)] = Build(genLab(t, s.kind, s.args...), Options{})
	}
	names := make([]string, 0, len(graphs))
	for n := range graphs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		g := graphs[name]
		svg := SVG(g)
		texts := map[string]bool{}
		dec := xml.NewDecoder(bytes.NewReader(svg))
		inText := false
		root := ""
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: SVG is not well-formed XML: %v", name, err)
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				if root == "" {
					root = tk.Name.Space + " " + tk.Name.Local
				}
				inText = tk.Name.Local == "text"
			case xml.EndElement:
				inText = false
			case xml.CharData:
				if inText {
					texts[string(tk)] = true
				}
			}
		}
		if root != "http://www.w3.org/2000/svg svg" {
			t.Errorf("%s: root element %q", name, root)
		}
		for _, n := range g.Nodes {
			if !texts[n.Lines[0]] {
				t.Errorf("%s: node %s has no text in the SVG", name, n.ID)
			}
		}
		for _, l := range g.Links {
			for _, line := range l.Lines {
				if !texts[line] {
					t.Errorf("%s: label line %q of %s is not in the SVG", name, line, l.ID)
				}
			}
		}
	}
	g := richGraph(t)
	g.Drift = []string{"set link h1:eth0 up"}
	if svg := string(SVG(g)); !strings.Contains(svg, "✗ h1 → h3 must reach: no-route") || !strings.Contains(svg, "drift: set link h1:eth0 up") {
		t.Error("the failed pair is not listed with its reason, or the drift is not listed")
	}
}

func TestRenderDeterministic(t *testing.T) {
	for _, f := range []struct {
		name string
		fn   func(*Graph) []byte
	}{{"svg", SVG}, {"dot", DOT}, {"mermaid", Mermaid}, {"json", JSON}} {
		first := f.fn(richGraph(t))
		for range 5 {
			if !bytes.Equal(first, f.fn(richGraph(t))) {
				t.Fatalf("%s: two renderings of the same lab differ", f.name)
			}
		}
	}
}

// TestDOTParsedByGraphviz: Graphviz's own dot reads what DOT writes and
// draws every node. Skipped where Graphviz is not installed (CI installs
// it: .ci/run, make test-deps).
func TestDOTParsedByGraphviz(t *testing.T) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz): DOT output not parsed back")
	}
	graphs := []*Graph{richGraph(t), Build(genLab(t, "fattree", 4), Options{}), Build(genLab(t, "tree", 2, 20), Options{}), sitesGraph(t)}
	for _, g := range graphs {
		cmd := exec.Command(bin, "-Tplain")
		cmd.Stdin = bytes.NewReader(DOT(g))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("dot rejects the DOT of %s: %v\n%s\n%s", g.Lab, err, stderr.String(), DOT(g))
		}
		// -Tplain: "node NAME x y w h label ..." per node.
		seen := map[string]bool{}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 && f[0] == "node" {
				seen[strings.Trim(f[1], `"`)] = true
			}
		}
		for _, n := range g.Nodes {
			if !seen[n.ID] {
				t.Errorf("%s: dot did not draw node %s", g.Lab, n.ID)
			}
		}
	}
}

// TestMermaidSyntax checks every line against the few statement forms
// Mermaid's flowchart grammar has that the renderer uses.
func TestMermaidSyntax(t *testing.T) {
	label := `"[^"]*"`
	forms := []*regexp.Regexp{
		regexp.MustCompile(`^flowchart TB$`),
		regexp.MustCompile(`^(  |    )n\d+(\[` + label + `\]|\(\(` + label + `\)\)|\{\{` + label + `\}\}|\(\[` + label + `\]\))$`),
		regexp.MustCompile(`^  subgraph site\d+\[` + label + `\]$`),
		regexp.MustCompile(`^  end$`),
		regexp.MustCompile(`^  n\d+ (---|-\.-|-\.->)\|` + label + `\| n\d+$`),
		regexp.MustCompile(`^  linkStyle \d+(,\d+)* stroke:#[0-9a-f]{6}(,color:#[0-9a-f]{6})?$`),
		regexp.MustCompile(`^  style n\d+ stroke:#[0-9a-f]{6},stroke-width:3px$`),
	}
	for _, g := range []*Graph{richGraph(t), Build(genLab(t, "ring", 5), Options{}), sitesGraph(t)} {
		out := string(Mermaid(g))
		for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			ok := false
			for _, f := range forms {
				ok = ok || f.MatchString(line)
			}
			if !ok {
				t.Errorf("%s line %d is not a Mermaid statement: %q", g.Lab, i+1, line)
			}
		}
		if n := strings.Count(out, "\n  n") + strings.Count(out, "\n    n"); n < len(g.Nodes)+len(g.Links) {
			t.Errorf("%s: %d statements for %d nodes and %d links", g.Lab, n, len(g.Nodes), len(g.Links))
		}
	}
	if out := string(Mermaid(richGraph(t))); !strings.Contains(out, "-.-|") || !strings.Contains(out, "linkStyle") {
		t.Errorf("down link not dotted or failed pair not styled:\n%s", out)
	}
}

// TestJSONSchema pins the field names of `topo graph --format json`,
// which the README documents and scripts rely on.
func TestJSONSchema(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(JSON(richGraph(t)), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var out []string
		for k := range v.(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	check := func(what string, v any, want ...string) {
		t.Helper()
		got := keys(v)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: no field %q (has %v)", what, w, got)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("%s: field %q is not documented; add it to the README and this test", what, g)
			}
		}
	}
	check("graph", doc, "lab", "nodes", "links", "pairs", "width", "height")
	node := doc["nodes"].([]any)[0]
	check("node", node, "id", "kind", "lines", "x", "y", "w", "h", "failed")
	var link, blocking any
	for _, l := range doc["links"].([]any) {
		if l.(map[string]any)["blocking"] == true {
			blocking = l
		} else if link == nil {
			link = l
		}
	}
	check("link", link, "id", "a", "b", "lines", "label", "points")
	check("link", blocking, "id", "a", "b", "lines", "label", "points", "blocking")
	check("end", link.(map[string]any)["a"], "node", "iface", "addresses", "state")
	check("label", link.(map[string]any)["label"], "x", "y", "w", "h")
	check("point", link.(map[string]any)["points"].([]any)[0], "x", "y")
	check("pair", doc["pairs"].([]any)[0], "from", "to", "reach", "checked", "reason")

	// A lab with sites: each node's site, the frames, a tunnel's VNI.
	doc = nil
	if err := json.Unmarshal(JSON(sitesGraph(t)), &doc); err != nil {
		t.Fatal(err)
	}
	check("graph with sites", doc, "lab", "nodes", "links", "sites", "width", "height")
	check("node with a site", doc["nodes"].([]any)[0], "id", "kind", "lines", "site", "x", "y", "w", "h")
	check("site", doc["sites"].([]any)[0], "name", "underlay", "x", "y", "w", "h")
	var tunnel any
	for _, l := range doc["links"].([]any) {
		if l.(map[string]any)["vni"] != nil {
			tunnel = l
		}
	}
	check("tunnel", tunnel, "id", "a", "b", "lines", "label", "points", "vni")
	l, _, err := topology.Parse("sites.yaml", []byte(sitesFile))
	if err != nil {
		t.Fatal(err)
	}
	part, err := l.ForSite("m2")
	if err != nil {
		t.Fatal(err)
	}
	doc = nil
	if err := json.Unmarshal(JSON(Build(part, Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	var remote any
	for _, n := range doc["nodes"].([]any) {
		if n.(map[string]any)["remote"] == true {
			remote = n
		}
	}
	check("remote node", remote, "id", "kind", "lines", "site", "remote", "x", "y", "w", "h")
}

// TestPairsOfSeveralExpectations: a pair with a port, a path and an
// echo expected is one line that must reach, failed by its first
// failing check, whatever a port's reach: false says.
func TestPairsOfSeveralExpectations(t *testing.T) {
	l := rich(t)
	l.Expect = []*topology.Expectation{
		{From: "h1", To: "h3", Reach: true},
		{From: "h1", To: "h3", Reach: false, TCP: 22},
		{From: "h1", To: "h3", Reach: true, Via: []string{"r1"}},
		{From: "h2", To: "h3", Reach: false, UDP: 53},
	}
	live := &Live{Check: []CheckedPair{
		{From: "h1", To: "h3", Reach: true, OK: true},
		{From: "h1", To: "h3", Reach: true, OK: false, Reason: "h1 must not connect to h3 tcp/22: connected in 0.1 ms, but must not"},
		{From: "h1", To: "h3", Reach: true, OK: true},
	}}
	g := Build(l, Options{Expect: true, Live: live})
	if len(g.Pairs) != 2 {
		t.Fatalf("%d pairs, want 2: %+v", len(g.Pairs), g.Pairs)
	}
	p := g.Pairs[0]
	if !p.Reach || !p.Checked || p.OK || !strings.Contains(p.Reason, "tcp/22") {
		t.Errorf("h1 -> h3: %+v; want must reach, failed by its tcp/22 check", p)
	}
	if !g.Pairs[1].Reach {
		t.Errorf("h2 -> h3 with a port expected must reach: %+v", g.Pairs[1])
	}
}

// TestPairsEchoDecides: a pair whose echo must not be answered (a
// firewall that drops ICMP) is drawn as must not reach, though a port
// of it must connect and its path is expected, in any order; a pair
// with only a port expected must reach.
func TestPairsEchoDecides(t *testing.T) {
	l := rich(t)
	l.Expect = []*topology.Expectation{
		{From: "h1", To: "h3", Reach: true, TCP: 80},
		{From: "h1", To: "h3", Reach: false},
		{From: "h1", To: "h3", Reach: true, MTU: 1400},
		{From: "h2", To: "h3", Reach: false},
		{From: "h2", To: "h3", Reach: true, TCP: 80},
		{From: "h3", To: "h1", Reach: false, TCP: 22},
	}
	g := Build(l, Options{Expect: true})
	if len(g.Pairs) != 3 {
		t.Fatalf("%d pairs, want 3: %+v", len(g.Pairs), g.Pairs)
	}
	for i, want := range []string{"· h1 → h3 must not reach", "· h2 → h3 must not reach", "· h3 → h1 must reach"} {
		if got := PairText(g.Pairs[i]); got != want {
			t.Errorf("pair %d: %q, want %q", i, got, want)
		}
	}
}
