package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestReadCounters: the counters of both ends of a link follow the
// packets sent over it, and the state follows the link.
func TestReadCounters(t *testing.T) {
	testns.NeedRoot(t, "makes network namespaces")
	useRoot(t)
	name := fmt.Sprintf("rb%04x-count", os.Getpid()&0xffff)
	upLab(t, name, "hosts:\n  h1: {}\n  h2: {}\nlinks:\n  - endpoints: [h1:eth0, h2:eth0]\n    addresses: [10.93.0.1/24, 10.93.0.2/24]\n")
	ctx := context.Background()
	before, err := ReadCounters(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 || before["h1:eth0"].State != "up" {
		t.Fatalf("counters: %+v; want h1:eth0 and h2:eth0, up", before)
	}
	ns := topology.Namespace(name, "h1")
	if out, err := exec.Command("ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.93.0.2").CombinedOutput(); err != nil {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	after, err := ReadCounters(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if d := after["h1:eth0"].TxPackets - before["h1:eth0"].TxPackets; d < 3 {
		t.Errorf("h1:eth0 sent %d packets more after 3 echoes", d)
	}
	if d := after["h2:eth0"].RxPackets - before["h2:eth0"].RxPackets; d < 3 {
		t.Errorf("h2:eth0 received %d packets more after 3 echoes", d)
	}
	if _, _, err := SetLinkState(ctx, name, "h1:eth0", false, Options{}); err != nil {
		t.Fatal(err)
	}
	down, _ := ReadCounters(ctx, name)
	if down["h1:eth0"].State != "down" {
		t.Errorf("h1:eth0 after link down: %q", down["h1:eth0"].State)
	}
}
