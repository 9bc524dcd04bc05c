package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// leakCycles is how many up/down cycles TestNoLeaks runs; the first
// leakWarmup of them let lazily made things (netlink sockets, runtime
// threads, caches) settle before anything is counted.
const (
	leakCycles = 200
	leakWarmup = 20
	// leakHeapBound is how much the live heap may grow between the end
	// of the warm-up and the last cycle.
	leakHeapBound = 4 << 20
)

// TestNoLeaks brings a three-host lab up and down 200 times in this
// process: afterwards the open file descriptors, goroutines, the lab's
// namespaces and the state root's contents are back to what they were
// after the warm-up, and the live heap has not grown beyond a small
// bound.
func TestNoLeaks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: up and down build network namespaces and need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	useRoot(t)
	name := fmt.Sprintf("rb%04x-leak", os.Getpid()&0xffff)
	desired, _, err := topology.Parse("leak.yaml", []byte("name: "+name+`
hosts:
  h1: {routes: [{to: 10.99.0.0/16, via: 10.77.1.2}], sysctls: {net.ipv4.icmp_echo_ignore_all: "1"}}
  h2: {forward: true}
  h3: {}
links:
  - endpoints: [h1, h2]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
  - endpoints: [h2, h3]
    addresses: [10.77.2.2/24, 10.77.2.3/24]
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { Down(ctx, name, Options{}) })

	var fds, goroutines int
	var heap uint64
	for i := 1; i <= leakCycles; i++ {
		if _, err := Up(ctx, desired, Options{}); err != nil {
			t.Fatalf("cycle %d: up: %v", i, err)
		}
		if len(namespaces(name)) != 3 {
			t.Fatalf("cycle %d: up made %v", i, namespaces(name))
		}
		if existed, err := Down(ctx, name, Options{}); err != nil || !existed {
			t.Fatalf("cycle %d: down: %v, %v", i, existed, err)
		}
		if i == leakWarmup {
			fds, goroutines, heap = openFDs(t), runtime.NumGoroutine(), liveHeap()
		}
	}

	t.Logf("after the warm-up: %d fds, %d goroutines, %d bytes of live heap; after %d cycles: %d, %d, %d",
		fds, goroutines, heap, leakCycles, openFDs(t), runtime.NumGoroutine(), liveHeap())
	if got := settle(func() int { return openFDs(t) }, fds); got != fds {
		t.Errorf("open file descriptors: %d after the warm-up, %d after %d cycles:\n%s", fds, got, leakCycles, fdList(t))
	}
	if got := settle(runtime.NumGoroutine, goroutines); got > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d after the warm-up, %d after %d cycles:\n%s", goroutines, got, leakCycles, buf[:runtime.Stack(buf, true)])
	}
	if left := namespaces(name); len(left) > 0 {
		t.Errorf("namespaces left: %v", left)
	}
	if entries, err := os.ReadDir(Root); err != nil || len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state root %s holds %v (%v), want nothing", Root, names, err)
	}
	if got := liveHeap(); got > heap+leakHeapBound {
		t.Errorf("live heap grew from %d to %d bytes between cycle %d and %d", heap, got, leakWarmup, leakCycles)
	}
}

// settle polls count until it is at most want, up to a bound (exiting
// goroutines and closing descriptors may lag a moment), and returns the
// last count. Not an assertion on speed.
func settle(count func() int, want int) int {
	n := count()
	for i := 0; i < 100 && n > want; i++ {
		time.Sleep(20 * time.Millisecond)
		n = count()
	}
	return n
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries) - 1 // the directory being read
}

// fdList describes the open descriptors, for a failure message.
func fdList(t *testing.T) string {
	entries, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		fmt.Fprintf(&b, "  %s -> %s\n", e.Name(), target)
	}
	return b.String()
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// namespaces lists the files in node.NetnsDir of the lab's nodes.
func namespaces(lab string) []string {
	entries, _ := os.ReadDir(node.NetnsDir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), lab+"-") {
			out = append(out, e.Name())
		}
	}
	return out
}
