package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/topology"
)

// waitFor waits for a signal on ch (10 s at most).
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s", what)
	}
}

// TestWatch: a Watch's counters follow the packets, an interface set
// down in its namespace is seen by its event, a node's namespace
// deleted is let go at once, a state written ends the watch
// (ErrLabChanged) and so does the lab going down (ErrNoState).
func TestWatch(t *testing.T) {
	testns.NeedRoot(t, "makes network namespaces")
	useRoot(t)
	name := fmt.Sprintf("rb%04x-watch", os.Getpid()&0xffff)
	upLab(t, name, "hosts:\n  h1: {}\n  h2: {}\n  h3: {}\nlinks:\n  - endpoints: [h1:eth0, h2:eth0]\n    addresses: [10.94.0.1/24, 10.94.0.2/24]\n  - endpoints: [h1:eth1, h3:eth0]\n    addresses: [10.94.1.1/24, 10.94.1.2/24]\n")
	ctx := context.Background()
	w, err := OpenWatch(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	before, err := w.Counters(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 4 || before["h1:eth0"].State != "up" || w.Nodes() != 3 {
		t.Fatalf("counters of %d nodes: %+v; want h1:eth0, h1:eth1, h2:eth0, h3:eth0, up", w.Nodes(), before)
	}
	if out, err := exec.Command("ip", "netns", "exec", topology.Namespace(name, "h1"), "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.94.0.2").CombinedOutput(); err != nil {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	// Only h2 is asked: its counters move, h1's are as last read.
	after, err := w.Counters(ctx, map[string]bool{"h2": true})
	if err != nil {
		t.Fatal(err)
	}
	if d := after["h2:eth0"].RxPackets - before["h2:eth0"].RxPackets; d < 3 {
		t.Errorf("h2:eth0 received %d packets more after 3 echoes", d)
	}
	if after["h1:eth0"].TxPackets != before["h1:eth0"].TxPackets {
		t.Errorf("h1 was not asked, yet its counters moved")
	}

	// Set down in the namespace, not by topo: only the event says so.
	for len(w.Changed()) > 0 {
		<-w.Changed()
	}
	if out, err := exec.Command("ip", "-n", topology.Namespace(name, "h3"), "link", "set", "eth0", "down").CombinedOutput(); err != nil {
		t.Fatalf("ip link set down: %v\n%s", err, out)
	}
	waitFor(t, w.Changed(), "change after h3:eth0 was set down")
	if st := w.Snapshot()["h3:eth0"].State; st != "down" {
		t.Errorf("h3:eth0 after it was set down: %q", st)
	}

	// An address and a route added by hand in h2: drift, which only a
	// whole read shows; the watch says so.
	for len(w.Reconfigured()) > 0 {
		<-w.Reconfigured()
	}
	if out, err := exec.Command("ip", "-n", topology.Namespace(name, "h2"), "addr", "add", "10.95.0.1/24", "dev", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("ip addr add: %v\n%s", err, out)
	}
	waitFor(t, w.Reconfigured(), "reconfigured after an address was added in h2")
	for len(w.Reconfigured()) > 0 {
		<-w.Reconfigured()
	}
	if out, err := exec.Command("ip", "-n", topology.Namespace(name, "h2"), "route", "add", "10.96.0.0/24", "via", "10.95.0.2").CombinedOutput(); err != nil {
		t.Fatalf("ip route add: %v\n%s", err, out)
	}
	waitFor(t, w.Reconfigured(), "reconfigured after a route was added in h2")

	// h3's namespace deleted (it is this test's): its socket is closed
	// at once.
	if out, err := exec.Command("ip", "netns", "del", topology.Namespace(name, "h3")).CombinedOutput(); err != nil {
		t.Fatalf("ip netns del: %v\n%s", err, out)
	}
	waitFor(t, w.Changed(), "change after h3's namespace was deleted")
	if n := w.Nodes(); n != 2 {
		t.Errorf("the watch holds %d nodes after h3's namespace was deleted, want 2", n)
	}
	if _, ok := w.Snapshot()["h3:eth0"]; ok {
		t.Error("h3:eth0 is still known after its namespace was deleted")
	}

	// The state written: the watch ends, to be opened again.
	if _, _, err := SetLinkState(ctx, name, "h1:eth0", false, Options{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, w.Done(), "end after the state was written")
	if !errors.Is(w.Err(), ErrLabChanged) {
		t.Errorf("watch ended with %v, want ErrLabChanged", w.Err())
	}
	if st := w.Snapshot()["h1:eth0"].State; st != "down" {
		t.Errorf("the last snapshot has h1:eth0 %q: the event before the state was written is lost", st)
	}

	w2, err := OpenWatch(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if _, err := Down(ctx, name, Options{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, w2.Done(), "end after the lab went down")
	if !errors.Is(w2.Err(), ErrNoState) {
		t.Errorf("watch ended with %v, want ErrNoState", w2.Err())
	}
}
