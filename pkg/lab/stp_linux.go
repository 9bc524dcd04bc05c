package lab

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// stpSettle bounds the wait for spanning tree: two forward delays
// (2 s each, as topo sets them) plus room for a re-election.
const stpSettle = 30 * time.Second

// waitSpanningTree returns once every port of the spanning-tree
// switches the plan touched is forwarding or blocking, so that a lab is
// usable when `up` returns: until then a port in listening or learning
// drops every frame. It says on w what it waits for, and what was still
// converging if the bound ran out (the lab works once it settles).
func waitSpanningTree(ctx context.Context, l *topology.Lab, plan *topology.Plan, hs *handles, w io.Writer) {
	touched := map[string]bool{}
	for _, s := range plan.Steps {
		touched[s.Node] = true
		if s.Link != nil {
			touched[s.Link.Ends[0].Node], touched[s.Link.Ends[1].Node] = true, true
		}
	}
	var switches []string
	for _, n := range l.Nodes {
		if n.Kind == topology.KindSwitch && n.STP && touched[n.Name] {
			switches = append(switches, n.Name)
		}
	}
	if len(switches) == 0 {
		return
	}
	if w != nil {
		fmt.Fprintf(w, "waiting for spanning tree to settle on %s...\n", strings.Join(switches, ", "))
	}
	ctx, cancel := context.WithTimeout(ctx, stpSettle)
	defer cancel()
	var mu sync.Mutex
	var busy []string
	var wg sync.WaitGroup
	for _, sw := range switches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns, release, err := hs.use(sw)
			if err != nil {
				return
			}
			defer release()
			ports, _ := node.WaitSTP(ctx, ns)
			mu.Lock()
			for _, p := range ports {
				busy = append(busy, sw+":"+p)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(busy) > 0 && w != nil {
		sort.Strings(busy)
		fmt.Fprintf(w, "spanning tree has not settled after %s (still converging: %s); the lab works once it does\n", stpSettle, strings.Join(busy, ", "))
	}
}
