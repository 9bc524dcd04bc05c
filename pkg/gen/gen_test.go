package gen

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestShapes(t *testing.T) {
	tests := []struct {
		desc                   string
		kind                   string
		args                   []int
		hosts, switches, links int
		stp                    bool
	}{
		{desc: "single", kind: "single", args: []int{4}, hosts: 4, switches: 1, links: 4},
		{desc: "single at the port limit", kind: "single", args: []int{1023}, hosts: 1023, switches: 1, links: 1023},
		{desc: "linear 1", kind: "linear", args: []int{1}, hosts: 1, switches: 1, links: 1},
		{desc: "linear 100", kind: "linear", args: []int{100}, hosts: 100, switches: 100, links: 199},
		{desc: "tree 2 4", kind: "tree", args: []int{2, 4}, hosts: 16, switches: 5, links: 20},
		{desc: "tree 2 16", kind: "tree", args: []int{2, 16}, hosts: 256, switches: 17, links: 272},
		{desc: "tree 3 2", kind: "tree", args: []int{3, 2}, hosts: 8, switches: 7, links: 14},
		{desc: "tree of fanout 1", kind: "tree", args: []int{3, 1}, hosts: 1, switches: 3, links: 3},
		{desc: "tree 1 1023", kind: "tree", args: []int{1, 1023}, hosts: 1023, switches: 1, links: 1023},
		{desc: "star", kind: "star", args: []int{5}, hosts: 5, switches: 6, links: 10},
		{desc: "ring", kind: "ring", args: []int{3}, hosts: 3, switches: 3, links: 6, stp: true},
		{desc: "ring 10", kind: "ring", args: []int{10}, hosts: 10, switches: 10, links: 20, stp: true},
		{desc: "fattree 2 has no loop", kind: "fattree", args: []int{2}, hosts: 2, switches: 5, links: 6},
		{desc: "fattree 4", kind: "fattree", args: []int{4}, hosts: 16, switches: 20, links: 48, stp: true},
		{desc: "fattree 8", kind: "fattree", args: []int{8}, hosts: 128, switches: 80, links: 384, stp: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			l := parse(t, generate(t, tc.kind, tc.args...))
			if len(l.hosts) != tc.hosts || len(l.switches) != tc.switches || len(l.links) != tc.links {
				t.Fatalf("got %d hosts, %d switches, %d links; want %d, %d, %d",
					len(l.hosts), len(l.switches), len(l.links), tc.hosts, tc.switches, tc.links)
			}
			wantName := tc.kind + "-" + joinInts(tc.args, "-")
			if l.name != wantName {
				t.Errorf("name = %q, want %q", l.name, wantName)
			}
			checkNames(t, "h", l.hosts)
			checkNames(t, "s", l.switches)
			for _, s := range l.switches {
				if l.stp[s] != tc.stp {
					t.Errorf("switch %s: stp = %v, want %v", s, l.stp[s], tc.stp)
				}
			}
			checkLinks(t, l)
		})
	}
}

// checkNames checks that names are prefix1, prefix2, ... in numeric order.
func checkNames(t *testing.T, prefix string, names []string) {
	t.Helper()
	for i, n := range names {
		if want := prefix + strconv.Itoa(i+1); n != want {
			t.Fatalf("name %d is %q, want %q", i, n, want)
		}
	}
}

// checkLinks checks every link against the declared nodes: a host has
// one link, on eth0, with Mininet's address; switch links have none; no
// switch has more ports than a bridge takes; no link is repeated.
func checkLinks(t *testing.T, l lab) {
	t.Helper()
	declared := map[string]bool{}
	for _, n := range append(append([]string{}, l.hosts...), l.switches...) {
		declared[n] = true
	}
	ports := map[string]int{}
	seen := map[[2]string]bool{}
	for i, lk := range l.links {
		if len(lk.Endpoints) != 2 {
			t.Fatalf("link %d: %d endpoints", i, len(lk.Endpoints))
		}
		a, b := lk.Endpoints[0], lk.Endpoints[1]
		if seen[[2]string{a, b}] || seen[[2]string{b, a}] {
			t.Errorf("link %d: %s-%s is repeated", i, a, b)
		}
		seen[[2]string{a, b}] = true
		if !declared[b] || b[0] != 's' {
			t.Errorf("link %d: second end %q is not a declared switch", i, b)
		}
		ports[b]++
		if h, ok := strings.CutSuffix(a, ":eth0"); ok {
			if !declared[h] || h[0] != 'h' {
				t.Errorf("link %d: %q is not a declared host", i, h)
			}
			n, _ := strconv.Atoi(h[1:])
			if want := hostAddr(n).String(); len(lk.Addresses) != 1 || lk.Addresses[0] != want {
				t.Errorf("link %d: %s addresses = %v, want [%s]", i, h, lk.Addresses, want)
			}
			continue
		}
		if !declared[a] || a[0] != 's' {
			t.Errorf("link %d: first end %q is neither host:eth0 nor a switch", i, a)
		}
		ports[a]++
		if len(lk.Addresses) != 0 {
			t.Errorf("link %d: switch-to-switch link has addresses %v", i, lk.Addresses)
		}
	}
	if got := len(hostSwitch(t, l)); got != len(l.hosts) {
		t.Errorf("%d of %d hosts have a link", got, len(l.hosts))
	}
	for s, p := range ports {
		if p > MaxPorts {
			t.Errorf("switch %s has %d ports", s, p)
		}
	}
}

func TestTreeAttachment(t *testing.T) {
	// Mininet's addTree numbers depth-first: s1 is the root, s2 gets
	// h1..h4, s3 gets h5..h8, and so on.
	at := hostSwitch(t, parse(t, generate(t, "tree", 2, 4)))
	for i := 1; i <= 16; i++ {
		want := "s" + strconv.Itoa(2+(i-1)/4)
		if got := at["h"+strconv.Itoa(i)]; got != want {
			t.Errorf("h%d is on %s, want %s", i, got, want)
		}
	}
}

func TestTreeLinkOrder(t *testing.T) {
	// Mininet adds (parent, child) after building the child's subtree.
	l := parse(t, generate(t, "tree", 2, 2))
	want := [][2]string{
		{"h1:eth0", "s2"}, {"h2:eth0", "s2"}, {"s1", "s2"},
		{"h3:eth0", "s3"}, {"h4:eth0", "s3"}, {"s1", "s3"},
	}
	for i, w := range want {
		if got := [2]string(l.links[i].Endpoints); got != w {
			t.Errorf("link %d = %v, want %v", i, got, w)
		}
	}
}

func TestLinearChain(t *testing.T) {
	l := parse(t, generate(t, "linear", 3))
	want := [][2]string{
		{"h1:eth0", "s1"}, {"h2:eth0", "s2"}, {"s2", "s1"}, {"h3:eth0", "s3"}, {"s3", "s2"},
	}
	for i, w := range want {
		if got := [2]string(l.links[i].Endpoints); got != w {
			t.Errorf("link %d = %v, want %v", i, got, w)
		}
	}
}

func TestFatTreePorts(t *testing.T) {
	// Every switch of a k-ary fat tree has exactly k ports except the
	// core, which also has k (one per pod).
	const k = 6
	l := parse(t, generate(t, "fattree", k))
	ports := map[string]int{}
	for _, lk := range l.links {
		for _, e := range lk.Endpoints {
			if e[0] == 's' {
				ports[e]++
			}
		}
	}
	for _, s := range l.switches {
		if ports[s] != k {
			t.Errorf("%s has %d ports, want %d", s, ports[s], k)
		}
	}
	// Hosts sit on edge switches: pod 1's edge switches follow the 9
	// core and 3 aggregation switches; pod 2 starts at s16.
	at := hostSwitch(t, l)
	for h, want := range map[string]string{"h1": "s13", "h3": "s13", "h4": "s14", "h9": "s15", "h10": "s19"} {
		if at[h] != want {
			t.Errorf("%s is on %s, want %s", h, at[h], want)
		}
	}
}

func TestAddresses(t *testing.T) {
	for i, want := range map[int]string{
		1: "10.0.0.1/8", 255: "10.0.0.255/8", 256: "10.0.1.0/8", 257: "10.0.1.1/8", 100_000: "10.1.134.160/8",
	} {
		if got := hostAddr(i).String(); got != want {
			t.Errorf("hostAddr(%d) = %s, want %s", i, got, want)
		}
	}
	l := parse(t, generate(t, "tree", 2, 16))
	for _, lk := range l.links {
		if lk.Endpoints[0] == "h256:eth0" {
			if lk.Addresses[0] != "10.0.1.0/8" {
				t.Errorf("h256 has %v, want 10.0.1.0/8", lk.Addresses)
			}
			return
		}
	}
	t.Error("no link for h256")
}

func TestDeterministic(t *testing.T) {
	for _, k := range shapes {
		args := make([]int, len(k.Params))
		for i := range args {
			args[i] = 4
		}
		a, b := generate(t, k.Kind, args...), generate(t, k.Kind, args...)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", k.Kind)
		}
		if first, _, _ := bytes.Cut(a, []byte("\n")); string(first) != "# generated by: topo gen "+k.Kind+" 4"+strings.Repeat(" 4", len(args)-1) {
			t.Errorf("%s: first line is %q", k.Kind, first)
		}
	}
}

func TestName(t *testing.T) {
	b, err := Generate("single", []int{2}, Options{Name: "my-lab-2"})
	if err != nil {
		t.Fatal(err)
	}
	if l := parse(t, b); l.name != "my-lab-2" {
		t.Errorf("name = %q", l.name)
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		desc string
		kind string
		args []int
		name string
		err  string
	}{
		{desc: "unknown kind", kind: "mesh", args: []int{3}, err: `unknown topology kind "mesh"; choose one of: single N | linear N | tree DEPTH FANOUT`},
		{desc: "tree needs two", kind: "tree", args: []int{2}, err: "tree needs DEPTH and FANOUT, got 1 argument, e.g. topo gen tree 2 16"},
		{desc: "single needs one", kind: "single", args: nil, err: "single needs N, got 0 arguments, e.g. topo gen single 4"},
		{desc: "too many", kind: "ring", args: []int{3, 4}, err: "ring needs N, got 2 arguments"},
		{desc: "zero", kind: "tree", args: []int{2, 0}, err: "tree: FANOUT must be at least 1, got 0"},
		{desc: "negative", kind: "linear", args: []int{-3}, err: "linear: N must be at least 1, got -3"},
		{desc: "odd fattree", kind: "fattree", args: []int{3}, err: "fattree: K must be even, got 3"},
		{desc: "short ring", kind: "ring", args: []int{2}, err: "ring: N must be at least 3, got 2 (a loop needs 3 switches; use linear for fewer)"},
		{desc: "empty ring", kind: "ring", args: []int{0}, err: "ring: N must be at least 3, got 0"},
		{desc: "empty fattree", kind: "fattree", args: []int{0}, err: "fattree: K must be at least 2, got 0, e.g. topo gen fattree 4"},
		{desc: "too many hosts", kind: "linear", args: []int{100_001}, err: "linear 100001 would have 100001 hosts; at most 100000 are allowed"},
		{desc: "deep wide tree", kind: "tree", args: []int{3, 47}, err: "tree 3 47 would have 103823 hosts"},
		{desc: "huge tree", kind: "tree", args: []int{1 << 40, 1 << 40}, err: "hosts; at most 100000 are allowed"},
		{desc: "long thin tree", kind: "tree", args: []int{200_000, 1}, err: "would have 200000 switches; at most 100000"},
		{desc: "big fattree", kind: "fattree", args: []int{74}, err: "fattree 74 would have 101306 hosts"},
		{desc: "huge fattree", kind: "fattree", args: []int{1 << 40}, err: "hosts; at most 100000 are allowed"},
		{desc: "full bridge", kind: "single", args: []int{1024}, err: "single 1024: switch s1 would have 1024 ports, but a Linux bridge takes at most 1023"},
		{desc: "full hub", kind: "star", args: []int{1024}, err: "switch s1 would have 1024 ports"},
		{desc: "wide tree", kind: "tree", args: []int{1, 1024}, err: "switch s1 would have 1024 ports"},
		{desc: "bad name", kind: "single", args: []int{2}, name: "My_Lab", err: `lab name "My_Lab" is not valid`},
		{desc: "long name", kind: "single", args: []int{2}, name: strings.Repeat("a", 33), err: "is not valid: use at most 32"},
		{desc: "name with leading dash", kind: "single", args: []int{2}, name: "-x", err: `lab name "-x" is not valid`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			b, err := Generate(tc.kind, tc.args, Options{Name: tc.name})
			if err == nil {
				t.Fatalf("got no error and %d bytes, want %q", len(b), tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %q does not contain %q", err, tc.err)
			}
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Kind != tc.kind {
				t.Errorf("error %T is not a *UsageError for %s", err, tc.kind)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds labs of the largest allowed size")
	}
	for _, c := range []struct {
		kind string
		args []int
	}{{"linear", []int{MaxHosts}}, {"fattree", []int{72}}, {"tree", []int{MaxSwitches, 1}}} {
		if _, err := Generate(c.kind, c.args, Options{}); err != nil {
			t.Errorf("%s %v: %v", c.kind, c.args, err)
		}
	}
}

func TestParseArgs(t *testing.T) {
	got, err := ParseArgs("tree", []string{"2", "16"})
	if err != nil || len(got) != 2 || got[0] != 2 || got[1] != 16 {
		t.Errorf("ParseArgs(tree 2 16) = %v, %v", got, err)
	}
	for args, want := range map[string]string{
		"2 x":   `tree: FANOUT must be a whole number, got "x", e.g. topo gen tree 2 16`,
		"2":     "tree needs DEPTH and FANOUT",
		"2.5 3": `DEPTH must be a whole number, got "2.5"`,
	} {
		if _, err := ParseArgs("tree", strings.Fields(args)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseArgs(tree %s) error = %v, want %q", args, err, want)
		}
	}
	if _, err := ParseArgs("nope", nil); err == nil {
		t.Error("ParseArgs accepted an unknown kind")
	}
}

func TestKinds(t *testing.T) {
	want := []string{"single N", "linear N", "tree DEPTH FANOUT", "star N", "ring N", "fattree K"}
	got := Kinds()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Kinds() = %q, want %q", got, want)
	}
	for _, s := range Shapes() {
		if s.Summary == "" || s.Example == "" {
			t.Errorf("%s has no summary or example", s.Kind)
		}
		args, err := ParseArgs(s.Kind, strings.Fields(s.Example))
		if err != nil {
			t.Errorf("%s example: %v", s.Kind, err)
		} else if _, err := Generate(s.Kind, args, Options{}); err != nil {
			t.Errorf("%s example: %v", s.Kind, err)
		}
	}
}
