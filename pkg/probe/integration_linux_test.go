package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/node"
)

// These tests build their own namespaces, named "tp<pid>x<n>-<node>",
// and delete them on cleanup. Veths are created directly inside them;
// nothing is added to the root namespace and no socket is opened there.

var labSeq atomic.Int32

// testLab is a set of namespaces of one test.
type testLab struct {
	t    *testing.T
	name string
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to create network namespaces and raw sockets")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: iproute2 `ip` not found")
	}
}

func newTestLab(t *testing.T) *testLab {
	needRoot(t)
	return &testLab{t: t, name: fmt.Sprintf("tp%sx%d", strconv.FormatInt(int64(os.Getpid()), 36), labSeq.Add(1))}
}

func (l *testLab) ns(node string) string { return l.name + "-" + node }

func (l *testLab) run(args ...string) string {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ip runs `ip -n NS args...` inside the node's namespace.
func (l *testLab) ip(node string, args ...string) {
	l.t.Helper()
	l.run(append([]string{"ip", "-n", l.ns(node)}, args...)...)
}

// add creates the nodes' namespaces with lo up.
func (l *testLab) add(nodes ...string) {
	l.t.Helper()
	for _, n := range nodes {
		name := l.ns(n)
		l.run("ip", "netns", "add", name)
		l.t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
				l.t.Errorf("delete namespace %s: %v: %s", name, err, out)
			}
		})
		l.ip(n, "link", "set", "lo", "up")
		// Without DAD, link-local addresses are usable at once: a router
		// whose link-local is still tentative does not solicit neighbours.
		l.sysctl(n, "net.ipv6.conf.default.accept_dad=0")
		l.sysctl(n, "net.ipv6.conf.all.accept_dad=0")
	}
}

// link creates a veth between a:ifa and b:ifb, born in the namespaces,
// and brings both ends up.
func (l *testLab) link(a, ifa, b, ifb string) {
	l.t.Helper()
	l.run("ip", "link", "add", ifa, "netns", l.ns(a), "type", "veth", "peer", "name", ifb, "netns", l.ns(b))
	l.ip(a, "link", "set", ifa, "up")
	l.ip(b, "link", "set", ifb, "up")
}

// addr adds an address (with nodad for IPv6) to node:iface.
func (l *testLab) addr(node, iface, prefix string) {
	l.t.Helper()
	args := []string{"addr", "add", prefix, "dev", iface}
	if strings.Contains(prefix, ":") {
		args = append(args, "nodad")
	}
	l.ip(node, args...)
}

func (l *testLab) sysctl(node, kv string) {
	l.t.Helper()
	l.run("ip", "netns", "exec", l.ns(node), "sysctl", "-q", "-w", kv)
}

func (l *testLab) open(node string) *nodeNS {
	l.t.Helper()
	ns, err := openNS(l.ns(node))
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(ns.Close)
	return ns
}

func (l *testLab) mac(node, iface string) string {
	l.t.Helper()
	ns := l.open(node)
	link, err := ns.NL.LinkByName(iface)
	if err != nil {
		l.t.Fatal(err)
	}
	return link.Attrs().HardwareAddr.String()
}

func (l *testLab) prober(node string) *Prober {
	p := NewProber(l.open(node), ProberOptions{Timeout: time.Second})
	l.t.Cleanup(func() { p.Close() })
	return p
}

type nodeNS = node.Namespace

func openNS(name string) (*nodeNS, error) { return node.Open(name) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair builds a - b on one veth, 10.0.0.1/24 and 10.0.0.2/24, plus
// fd00::1/64 and fd00::2/64.
func pair(t *testing.T) *testLab {
	l := newTestLab(t)
	l.add("a", "b")
	l.link("a", "eth0", "b", "eth0")
	l.addr("a", "eth0", "10.0.0.1/24")
	l.addr("b", "eth0", "10.0.0.2/24")
	l.addr("a", "eth0", "fd00::1/64")
	l.addr("b", "eth0", "fd00::2/64")
	return l
}

func wantReason(t *testing.T, r Result, want Reason) {
	t.Helper()
	if r.Reached || r.Reason != want {
		t.Fatalf("probe %s: reached=%v reason=%q (%s), want reason %q", r.To, r.Reached, r.Reason, r.Error, want)
	}
}

func TestIntegrationPairReaches(t *testing.T) {
	l := pair(t)
	ns := l.open("a")
	bmac := l.mac("b", "eth0")
	for _, dst := range []string{"10.0.0.2", "fd00::2"} {
		var lines []string
		st, err := Ping(ctxT(t), ns, netip.MustParseAddr(dst), PingOptions{
			Count: 2, Interval: time.Millisecond, Timeout: time.Second,
			OnReply: func(r PingReply) { lines = append(lines, FormatPingReply(r)) },
		})
		if err != nil {
			t.Fatalf("ping %s: %v", dst, err)
		}
		t.Logf("%s", strings.Join(lines, "\n"))
		if st.Received != 2 || st.TTL != 64 || st.MinRTT <= 0 || st.MAC != bmac || st.Route.Iface != "eth0" {
			t.Fatalf("ping %s: %+v, want 2 received, ttl 64, rtt>0, mac %s via eth0", dst, st, bmac)
		}
	}
	n, err := ARP(ctxT(t), ns, "eth0", netip.MustParseAddr("10.0.0.2"), time.Second)
	if err != nil || n.MAC.String() != bmac {
		t.Fatalf("ARP 10.0.0.2 = %v, %v; want %s", n.MAC, err, bmac)
	}
	n, err = NDP(ctxT(t), ns, "", netip.MustParseAddr("fd00::2"), time.Second)
	if err != nil || n.MAC.String() != bmac || n.Iface != "eth0" {
		t.Fatalf("NDP fd00::2 = %+v, %v; want %s on eth0", n, err, bmac)
	}
}

func TestIntegrationLinkDown(t *testing.T) {
	l := pair(t)
	l.ip("b", "link", "set", "eth0", "down")
	wantReason(t, l.prober("a").Probe(ctxT(t), netip.MustParseAddr("10.0.0.2")), ReasonARP)
}

func TestIntegrationWrongSubnet(t *testing.T) {
	l := pair(t)
	// a believes 10.9.9.9 is on its link; b does not own it.
	l.ip("a", "route", "add", "10.9.9.9/32", "dev", "eth0")
	l.ip("b", "addr", "add", "10.9.0.2/24", "dev", "eth0")
	p := l.prober("a")
	wantReason(t, p.Probe(ctxT(t), netip.MustParseAddr("10.9.9.9")), ReasonARP)
	_, err := ARP(ctxT(t), l.open("a"), "eth0", netip.MustParseAddr("10.0.0.3"), 300*time.Millisecond)
	if ReasonOf(err) != ReasonARP {
		t.Fatalf("ARP for unowned 10.0.0.3: %v, want reason arp", err)
	}
}

func TestIntegrationNoRoute(t *testing.T) {
	l := pair(t)
	p := l.prober("a")
	wantReason(t, p.Probe(ctxT(t), netip.MustParseAddr("192.168.77.1")), ReasonNoRoute)
	wantReason(t, p.Probe(ctxT(t), netip.MustParseAddr("2001:db8::1")), ReasonNoRoute)
}

func TestIntegrationEchoIgnored(t *testing.T) {
	l := pair(t)
	l.sysctl("b", "net.ipv4.icmp_echo_ignore_all=1")
	r := l.prober("a").Probe(ctxT(t), netip.MustParseAddr("10.0.0.2"))
	wantReason(t, r, ReasonICMP)
	if r.MAC != l.mac("b", "eth0") {
		t.Fatalf("MAC %q, want b's: ARP must have succeeded", r.MAC)
	}
}

// routed is a - r - c: a on 10.1.0.0/24 (and fd01::/64 with r), c on
// 10.2.0.0/24, r forwarding IPv4; a and c route IPv4 through r.
func routed(t *testing.T) *testLab {
	l := newTestLab(t)
	l.add("a", "r", "c")
	l.link("a", "eth0", "r", "eth0")
	l.link("c", "eth0", "r", "eth1")
	l.addr("a", "eth0", "10.1.0.1/24")
	l.addr("r", "eth0", "10.1.0.254/24")
	l.addr("r", "eth1", "10.2.0.254/24")
	l.addr("c", "eth0", "10.2.0.1/24")
	l.addr("a", "eth0", "fd01::1/64")
	l.addr("r", "eth0", "fd01::fe/64")
	l.ip("a", "route", "add", "default", "via", "10.1.0.254")
	l.ip("c", "route", "add", "default", "via", "10.2.0.254")
	l.sysctl("r", "net.ipv4.ip_forward=1")
	return l
}

func TestIntegrationRouter(t *testing.T) {
	l := routed(t)
	l.addr("r", "eth1", "fd02::fe/64")
	l.addr("c", "eth0", "fd02::1/64")
	l.ip("a", "-6", "route", "add", "default", "via", "fd01::fe")
	l.ip("c", "-6", "route", "add", "default", "via", "fd02::fe")
	l.sysctl("r", "net.ipv6.conf.all.forwarding=1")
	p := l.prober("a")
	for _, tc := range []struct{ dst, hop string }{{"10.2.0.1", "10.1.0.254"}, {"fd02::1", "fd01::fe"}} {
		r := p.Probe(ctxT(t), netip.MustParseAddr(tc.dst))
		if !r.Reached || r.TTL != 63 || r.NextHop.String() != tc.hop {
			t.Fatalf("probe %s via router: %+v, want reached, ttl 63, next hop the router (%s)", tc.dst, r, tc.hop)
		}
	}
}

func TestIntegrationTcpdumpSeesARP(t *testing.T) {
	l := pair(t)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("skipping: tcpdump not installed")
	}
	ctx, cancel := context.WithTimeout(ctxT(t), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.ns("b"), "tcpdump", "-n", "-e", "-l", "-c1", "-i", "eth0", "arp")
	var out strings.Builder
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says "listening on" once its capture is active.
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "listening on") {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	ns := l.open("a")
	if _, err := ARP(ctx, ns, "eth0", netip.MustParseAddr("10.0.0.2"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, out.String())
	}
	amac := l.mac("a", "eth0")
	if s := out.String(); !strings.Contains(s, "Request who-has 10.0.0.2 tell 10.0.0.1") || !strings.Contains(s, amac) {
		t.Fatalf("tcpdump captured %q, want an ARP request for 10.0.0.2 from %s", s, amac)
	}
}

func TestIntegrationAgreesWithPing(t *testing.T) {
	l := pair(t)
	p := l.prober("a")
	for _, tc := range []struct {
		dst  string
		want bool
	}{{"10.0.0.2", true}, {"10.0.0.3", false}, {"fd00::2", true}, {"fd00::3", false}} {
		cmd := exec.Command("ip", "netns", "exec", l.ns("a"), "ping", "-c1", "-W1", tc.dst)
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("iputils ping: %v", err)
		}
		r := p.Probe(ctxT(t), netip.MustParseAddr(tc.dst))
		if (err == nil) != tc.want || r.Reached != tc.want {
			t.Fatalf("%s: iputils ping ok=%v, probe %+v; want both %v", tc.dst, err == nil, r, tc.want)
		}
	}
}

func TestIntegrationSocketSeesOnlyItsInterface(t *testing.T) {
	l := pair(t)
	l.add("c")
	l.link("a", "eth1", "c", "eth0")
	ns := l.open("a")
	link, err := ns.NL.LinkByName("eth1")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := openPacketConn(ns, Interface{Name: "eth1", Index: link.Attrs().Index})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Replies arrive on eth0 only.
	if _, err := ARP(ctxT(t), ns, "eth0", netip.MustParseAddr("10.0.0.2"), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := Ping(ctxT(t), ns, netip.MustParseAddr("10.0.0.2"), PingOptions{Count: 1}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 2048)
	if n, err := conn.ReadFrame(buf); err == nil {
		t.Fatalf("eth1 socket read a %d-byte frame that belongs to eth0: % x", n, buf[:n])
	}
}

// TestIntegrationCheckBridge checks all pairs of hosts on one bridge;
// TOPO_PROBE_HOSTS raises the host count (default 20) for scale runs.
func TestIntegrationCheckBridge(t *testing.T) {
	hosts := 20
	if n, err := strconv.Atoi(os.Getenv("TOPO_PROBE_HOSTS")); err == nil && n > 1 && n < 250 {
		hosts = n
	}
	l := newTestLab(t)
	l.add("sw")
	l.ip("sw", "link", "add", "br0", "type", "bridge")
	l.ip("sw", "link", "set", "br0", "up")
	var names []string
	var pairs []Pair
	for i := 1; i <= hosts; i++ {
		h := fmt.Sprintf("h%02d", i)
		names = append(names, h)
		l.add(h)
		port := fmt.Sprintf("p%02d", i)
		l.run("ip", "link", "add", "eth0", "netns", l.ns(h), "type", "veth", "peer", "name", port, "netns", l.ns("sw"))
		l.ip("sw", "link", "set", port, "master", "br0", "up")
		l.ip(h, "link", "set", "eth0", "up")
		l.addr(h, "eth0", fmt.Sprintf("10.5.0.%d/24", i))
		l.addr(h, "eth0", fmt.Sprintf("fd05::%d/64", i))
	}
	for i, from := range names {
		for j, to := range names {
			if i == j {
				continue
			}
			pairs = append(pairs,
				Pair{From: from, ToNode: to, To: netip.MustParseAddr(fmt.Sprintf("10.5.0.%d", j+1))},
				Pair{From: from, ToNode: to, To: netip.MustParseAddr(fmt.Sprintf("fd05::%d", j+1))})
		}
	}
	fullsBefore := neighTableFulls(t)
	start := time.Now()
	res := Check(ctxT(t), NamespaceOpener(l.name, ProberOptions{Timeout: 2 * time.Second, Attempts: 2}), pairs, CheckOptions{})
	took := time.Since(start)
	var b strings.Builder
	if err := FormatMatrix(&b, names, res); err != nil {
		t.Fatal(err)
	}
	if hosts <= 32 {
		t.Logf("%s", b.String())
	}
	t.Logf("%d hosts, %d pairs checked in %v; %s", hosts, len(pairs), took, Summary(res))
	if Summary(res) != Summary(pairsReached(len(pairs))) && neighTableFulls(t) > fullsBefore {
		// The kernel's neighbour tables are shared by all namespaces of
		// the host and hold net.ipv{4,6}.neigh.default.gc_thresh3 entries;
		// a full table makes targets drop ARP/NDP requests.
		t.Skipf("kernel neighbour table overflowed during the check (raise gc_thresh3 in the root namespace): %s", Summary(res))
	}
	for _, r := range res {
		if !r.Reached || r.TTL != 64 {
			t.Errorf("%s -> %s (%s): %+v", r.From, r.ToNode, r.To, r)
		}
	}
	if want := fmt.Sprintf("*** Results: 0%% dropped (%d/%d received)", len(pairs), len(pairs)); Summary(res) != want {
		t.Errorf("summary %q, want %q", Summary(res), want)
	}
}

func pairsReached(n int) []Result {
	res := make([]Result, n)
	for i := range res {
		res[i].Reached = true
	}
	return res
}

// neighTableFulls sums the table_fulls counters of the kernel's ARP and
// NDP tables (read-only; these counters are host-wide).
func neighTableFulls(t *testing.T) uint64 {
	var sum uint64
	for _, f := range []string{"/proc/net/stat/arp_cache", "/proc/net/stat/ndisc_cache"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Logf("read %s: %v", f, err)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		head := strings.Fields(lines[0])
		for _, l := range lines[1:] {
			for i, v := range strings.Fields(l) {
				if i < len(head) && head[i] == "table_fulls" {
					n, _ := strconv.ParseUint(v, 16, 64)
					sum += n
				}
			}
		}
	}
	return sum
}

// ProbeAll gives, from one loop, the verdicts Probe gives one by one:
// reached, no route, an unresolved next hop, an ignored echo, and an
// ICMP error with its sender; failures carry their route.
func TestIntegrationProbeAllVerdicts(t *testing.T) {
	l := routed(t)
	l.sysctl("c", "net.ipv4.icmp_echo_ignore_all=1")
	l.ip("r", "route", "add", "unreachable", "10.3.0.0/24")
	l.ip("a", "route", "add", "10.1.9.9/32", "dev", "eth0") // on-link, nobody has it
	p := NewProber(l.open("a"), ProberOptions{Timeout: 500 * time.Millisecond})
	defer p.Close()
	want := []struct {
		dst    string
		reason Reason
	}{
		{"10.2.0.254", ""}, {"fd01::fe", ""}, {"10.2.0.1", ReasonICMP}, {"10.3.0.1", ReasonUnreachable},
		{"10.1.9.9", ReasonARP}, {"2001:db8::1", ReasonNoRoute}, {"10.1.0.254", ""},
	}
	var dsts []netip.Addr
	for _, w := range want {
		dsts = append(dsts, netip.MustParseAddr(w.dst))
	}
	res := p.ProbeAll(ctxT(t), dsts, 2)
	for i, w := range want {
		r := res[i]
		if r.To != dsts[i] || r.Reached != (w.reason == "") || r.Reason != w.reason {
			t.Errorf("%s: reached %v reason %q (%s), want reason %q", w.dst, r.Reached, r.Reason, r.Error, w.reason)
		}
		if r.Reached && (r.RTT <= 0 || r.TTL <= 0) {
			t.Errorf("%s: reached with rtt %v ttl %d", w.dst, r.RTT, r.TTL)
		}
		if !r.Reached && r.Reason != ReasonNoRoute && (r.Iface != "eth0" || !r.Src.IsValid()) {
			t.Errorf("%s: failed without its route: iface %q src %s", w.dst, r.Iface, r.Src)
		}
	}
	if ie := res[3].ICMP; ie == nil || ie.From != netip.MustParseAddr("10.1.0.254") {
		t.Errorf("10.3.0.1: ICMP error %+v, want one from the router 10.1.0.254", res[3].ICMP)
	}
}

// ProbeAll with a window of one sends the next request as soon as an
// answer frees the window: three destinations answer long before the
// Timeout (a minute), where a loop that waited for its timer once the
// window emptied took a whole Timeout for each after the first.
func TestIntegrationProbeAllWindowOfOne(t *testing.T) {
	l := pair(t)
	p := NewProber(l.open("a"), ProberOptions{Timeout: time.Minute})
	defer p.Close()
	dsts := []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00::2"), netip.MustParseAddr("10.0.0.2")}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, r := range p.ProbeAll(ctx, dsts, 1) {
		if !r.Reached {
			t.Errorf("%d: %s not reached within 20 s with a window of one: %s %s", i, dsts[i], r.Reason, r.Error)
		}
	}
}
