package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestCreateOverForeignUnclaims: when a node's name is taken between
// the plan and its creation (someone's `ip netns add`), the create
// fails as not the lab's, and the claim made for it is taken back, in
// the state saved too: the next up must not adopt that namespace.
func TestCreateOverForeignUnclaims(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: makes network namespaces, which needs root (CAP_SYS_ADMIN)")
	}
	useRoot(t)
	lab := fmt.Sprintf("rb%04x-claim", os.Getpid()&0xffff)
	desired := &topology.Lab{Name: lab, Nodes: []*topology.Node{{Name: "h1", Kind: topology.KindHost}}}
	foreign, err := node.Create(topology.Namespace(lab, "h1"), node.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	foreign.Close()
	t.Cleanup(func() { node.Delete(foreign.Name) })
	st := &State{Lab: desired, Namespaces: map[string]uint64{}}
	own := ownershipOf(st)
	hs := newHandles(own)
	defer hs.close()
	x := &executor{lab: desired, st: st, own: own, obs: &topology.Observed{Nodes: map[string]*topology.ObservedNode{}}, hs: hs}
	plan := &topology.Plan{Lab: lab, Steps: []topology.Step{{Op: topology.OpCreateNode, Node: "h1"}}}
	if err := x.apply(context.Background(), plan); !errors.Is(err, ErrNotOwned) {
		t.Fatalf("create over a foreign namespace = %v, want ErrNotOwned", err)
	}
	if rec, ok := own.inode("h1"); ok {
		t.Errorf("h1 is still claimed (inode %d): the next up would adopt the foreign namespace", rec)
	}
	saved, err := LoadState(lab)
	if err != nil {
		t.Fatal(err)
	}
	if rec, ok := saved.Namespaces["h1"]; ok {
		t.Errorf("the saved state still claims h1 (inode %d)", rec)
	}
}
