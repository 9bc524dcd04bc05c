package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// fdLabHosts is how many hosts TestOpenFilesBounded puts on one switch;
// fdLimit, the process's open-file limit meanwhile, is below the node
// count: topo must not hold descriptors per node for a whole run.
const (
	fdLabHosts = 400
	fdLimit    = minOpenFiles
)

// TestOpenFilesBounded brings up, checks, re-applies and takes down a
// lab of 401 nodes with the open-file limit at 256 (the least up
// accepts): each node's namespace handle holds three descriptors, so a
// run that kept them all open would fail with "too many open files".
func TestOpenFilesBounded(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: up and down build network namespaces and need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	useRoot(t)
	name := fmt.Sprintf("rb%04x-fds", os.Getpid()&0xffff)
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nswitches: {s1: {}}\nhosts:\n", name)
	for i := 1; i <= fdLabHosts; i++ {
		fmt.Fprintf(&b, "  h%d: {}\n", i)
	}
	b.WriteString("links:\n")
	for i := 1; i <= fdLabHosts; i++ {
		fmt.Fprintf(&b, "  - {endpoints: [h%d, s1], addresses: [10.66.%d.%d/16]}\n", i, i/250, i%250+1)
	}
	desired, _, err := topology.Parse("fds.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { Down(ctx, name, Options{}) })

	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = fdLimit
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	restore := func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) }
	defer restore()

	if _, err := Up(ctx, desired, Options{}); err != nil {
		t.Fatalf("up %d nodes with %d open files: %v", fdLabHosts+1, fdLimit, err)
	}
	if n := len(namespaces(name)); n != fdLabHosts+1 {
		t.Fatalf("up made %d namespaces, want %d", n, fdLabHosts+1)
	}
	// The first host to a few others, and all of them to the first:
	// every source's Prober, and the namespaces read for the check.
	var pairs []probe.Pair
	for i := 2; i <= fdLabHosts; i += 7 {
		to, _ := netip.ParseAddr(fmt.Sprintf("10.66.%d.%d", i/250, i%250+1))
		pairs = append(pairs, probe.Pair{From: "h1", To: to, ToNode: fmt.Sprintf("h%d", i)})
		pairs = append(pairs, probe.Pair{From: fmt.Sprintf("h%d", i), To: netip.MustParseAddr("10.66.0.2"), ToNode: "h1"})
	}
	applied, err := Applied(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := CheckPairs(ctx, applied, pairs, probe.ProberOptions{})
	if err != nil {
		t.Fatalf("check with %d open files: %v", fdLimit, err)
	}
	for _, r := range res {
		if !r.Reached {
			t.Errorf("%s -> %s (%s): %s %s", r.From, r.To, r.ToNode, r.Reason, r.Error)
		}
	}
	plan, err := Up(ctx, desired, Options{})
	if err != nil {
		t.Fatalf("no-op up with %d open files: %v", fdLimit, err)
	}
	if len(plan.Steps) != 0 {
		t.Errorf("no-op up changed %d things", len(plan.Steps))
	}
	if existed, err := Down(ctx, name, Options{}); err != nil || !existed {
		t.Fatalf("down with %d open files: %v, %v", fdLimit, existed, err)
	}
	restore()
	if left := namespaces(name); len(left) != 0 {
		t.Fatalf("left after down: %v", left)
	}
}
