package main

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// twoLabs brings up two labs in one state directory: a holds h1, h2
// and r1; b holds h1 and h9.
func twoLabs(t *testing.T) (a, b *labT) {
	t.Helper()
	a = newLab(t, "exa", `hosts:
  h1: {}
  h2: {}
  r1: {forward: true}
switches: {s1: {}}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
  - endpoints: [r1, s1]
addressing: {ipv4: 10.7.0.0/24}
`)
	a.Up()
	b = newLab(t, "exb", `hosts:
  h1: {}
  h9: {}
links:
  - endpoints: [h1, h9]
`)
	b.StateDir = a.StateDir
	b.Up()
	return a, b
}

// TestExecAll runs one command in every host of a lab at once: each
// line comes whole, led by its node; the exit status is the worst.
func TestExecAll(t *testing.T) {
	a, _ := twoLabs(t)
	r := a.Topo("exec", "--lab", a.Name, "--all", "--", "sh", "-c", `for i in 1 2 3; do echo "line $i of $(hostname)"; done; echo "err of $(hostname)" >&2; [ $(hostname) = h2 ] && exit 7; exit 0`)
	if r.Code != 7 {
		t.Errorf("exit %d, want the worst, 7\n%v", r.Code, r)
	}
	lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	sort.Strings(lines)
	var want []string
	for _, n := range []string{"h1", "h2", "r1"} {
		for _, i := range []string{"1", "2", "3"} {
			want = append(want, n+": line "+i+" of "+n)
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout:\n%s\nwant (in any order):\n%s", r.Stdout, strings.Join(want, "\n"))
	}
	errs := strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n")
	sort.Strings(errs)
	if got := strings.Join(errs, "\n"); got != "h1: err of h1\nh2: err of h2\nr1: err of r1" {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
	// Only the named hosts; a node the lab lacks is refused before
	// anything runs.
	r = a.Must("exec", "--lab", a.Name, "--all", "--nodes", "h2,r1", "--", "hostname")
	lines = strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	sort.Strings(lines)
	if strings.Join(lines, "\n") != "h2: h2\nr1: r1" {
		t.Errorf("--nodes h2,r1 printed:\n%s", r.Stdout)
	}
	r = a.Topo("exec", "--lab", a.Name, "--all", "--nodes", "h2,h7", "--", "hostname")
	if r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, `has no node "h7"`) {
		t.Errorf("--nodes with an unknown node: %v", r)
	}
	r = a.Topo("exec", "--lab", a.Name, "--nodes", "s1", "--", "hostname")
	if r.Code != 1 || !strings.Contains(r.Stderr, "s1 is a switch") {
		t.Errorf("--nodes with a switch: %v", r)
	}
}

// TestExecLabNode names a node as LAB/NODE while two labs are up, and
// wants a bare node name answered with the labs that have it.
func TestExecLabNode(t *testing.T) {
	a, b := twoLabs(t)
	if r := b.Must("exec", b.Name+"/h9", "--", "hostname"); r.Stdout != "h9\n" {
		t.Errorf("exec %s/h9 printed %q", b.Name, r.Stdout)
	}
	if r := a.Must("exec", a.Name+"/h1", "--", "ip", "-br", "addr", "show", "eth0"); !regexp.MustCompile(`10\.7\.0\.\d+/24`).MatchString(r.Stdout) {
		t.Errorf("exec %s/h1 ran elsewhere: %q", a.Name, r.Stdout)
	}
	for _, c := range []struct{ node, want string }{
		{"h1", "several labs are up with a node h1: " + strings.Join(sorted(a.Name, b.Name), ", ")},
		{"h9", "h9 is in " + b.Name + ": write topo exec " + b.Name + "/h9"},
		{"h5", "none has a node h5"},
	} {
		r := a.Topo("exec", c.node, "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("exec %s with two labs up: %v\nwant %q", c.node, r, c.want)
		}
	}
	if r := a.Topo("exec", "--lab", b.Name, a.Name+"/h1", "--", "true"); r.Code != 1 || !strings.Contains(r.Stderr, "but --lab says") {
		t.Errorf("a lab named twice, differently: %v", r)
	}
}

func sorted(s ...string) []string {
	sort.Strings(s)
	return s
}

// TestLabNodeInOtherCommands: link, impair, ping and arp take LAB/NODE
// as exec does, and with two labs up a bare node is answered with the
// labs that have it, in the command's own words.
func TestLabNodeInOtherCommands(t *testing.T) {
	a, b := twoLabs(t)
	b.Must("link", b.Name+"/h1:eth0", "down")
	if st := ifaces(t, b.NS("h1"))["eth0"]; st.up() {
		t.Errorf("link %s/h1:eth0 down left it up", b.Name)
	}
	if st := ifaces(t, a.NS("h1"))["eth0"]; !st.up() {
		t.Errorf("link %s/h1:eth0 down took %s's h1 down", b.Name, a.Name)
	}
	b.Must("link", b.Name+"/h1:eth0", "up")
	b.Must("impair", b.Name+"/h9:eth0", "--rate", "10mbit")
	if r := b.Must("status", b.Name); !strings.Contains(r.Stdout, "rate 10mbit") {
		t.Errorf("impair %s/h9:eth0 shows in no status:\n%s", b.Name, r.Stdout)
	}
	if r := a.Must("ping", a.Name+"/h1", "h2", "-c", "1"); !strings.Contains(r.Stdout, "1 received") {
		t.Errorf("ping %s/h1 h2: %v", a.Name, r)
	}
	if r := a.Must("arp", a.Name+"/h1:eth0", "h2"); !strings.Contains(r.Stdout, "ARP from h1:eth0: 10.7.0.") || !strings.Contains(r.Stdout, " is at ") {
		t.Errorf("arp %s/h1:eth0 h2: %v", a.Name, r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"link", "h1:eth0", "down"}, "several labs are up with a node h1: " + strings.Join(sorted(a.Name, b.Name), ", ") + "; name one: topo link "},
		{[]string{"ping", "h9", "h1"}, "h9 is in " + b.Name + ": write topo ping " + b.Name + "/h9"},
		{[]string{"impair", "h5:eth0", "--rate", "1mbit"}, "none has a node h5"},
		{[]string{"arp", "--lab", a.Name, b.Name + "/h9", "h1"}, "but --lab says"},
	} {
		if r := a.Topo(c.args...); r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v with two labs up: %v\nwant %q", c.args, r, c.want)
		}
	}
}
