package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// executor applies a plan to the kernel, phase by phase, running the
// independent steps of a phase in parallel. It records in own every
// namespace it makes or removes as soon as that happens, so an
// interrupted run can always be resumed by `up` or undone by `down`.
type executor struct {
	lab      *topology.Lab             // desired
	nodes    map[string]*topology.Node // lab's nodes by name
	st       *State
	own      *ownership // of st's namespaces
	obs      *topology.Observed
	hs       *handles
	verbose  io.Writer
	progress func(done, total int)
	// stepDone, when set, hears of every step tried (Options.Step).
	stepDone func(s topology.Step, err error)
	// ctx is apply's, for steps that wait.
	ctx context.Context

	mu   sync.Mutex // guards st (but its namespaces: own), done and bridges
	done int
	// bridges holds the bridge's interface index of each switch whose
	// bridge was observed or made, so that making a port needs no
	// lookup.
	bridges map[string]int
	// index is the last interface index handed out; see nextIndex.
	index atomic.Int64
	// svcSteps says the plan has service steps; restarts holds the
	// services (node/service) it restarts. See serviceStep.
	svcSteps bool
	restarts map[string]bool
	// floods holds the switches whose links get FloodQueues.
	floods floodSwitches
}

// firstIndex is the lowest interface index topo gives: clear of lo,
// the bridge and what the kernel hands out on its own in a new
// namespace.
const firstIndex = 100

// startIndexes places the lab's new interface indexes above every index
// the kernel already holds in the lab's namespaces, and notes the index
// of each switch's bridge.
func (x *executor) startIndexes() {
	top := firstIndex
	x.bridges = map[string]int{}
	for _, n := range x.obs.Nodes {
		for _, i := range n.Ifaces {
			top = max(top, i.Index)
		}
		if br := n.Ifaces[node.BridgeName]; br != nil && br.Kind == "bridge" {
			x.bridges[n.Name] = br.Index
		}
	}
	x.index.Store(int64(top))
}

// apply runs the plan's steps. It stops after the first phase that
// had an error (later phases build on earlier ones) and returns every
// error of that phase, each naming its step.
func (x *executor) apply(ctx context.Context, plan *topology.Plan) error {
	x.ctx = ctx
	x.nodes = x.lab.NodesByName()
	x.startIndexes()
	steps := plan.Steps
	for len(steps) > 0 {
		n := 1
		for n < len(steps) && steps[n].Op == steps[0].Op {
			n++
		}
		phase := steps[:n]
		steps = steps[n:]
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := x.runPhase(ctx, phase, len(plan.Steps)); err != nil {
			return err
		}
	}
	return nil
}

func (x *executor) runPhase(ctx context.Context, phase []topology.Step, total int) error {
	op := phase[0].Op
	if op == topology.OpDeleteNode {
		// No process starts in a node while it is being removed.
		release, err := x.holdGate(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	if op == topology.OpCreateNode {
		// Claim the names first: if we die mid-way, they are ours.
		nodes := make([]string, len(phase))
		for i, s := range phase {
			nodes[i] = s.Node
		}
		x.mu.Lock()
		err := x.own.claim(nodes)
		x.mu.Unlock()
		if err != nil {
			return fmt.Errorf("save state: %w", err)
		}
	}
	units := unitsOf(phase)
	err := parallel(ctx, len(units), func(i int) error {
		for _, s := range units[i] {
			err := x.step(s)
			x.mu.Lock()
			if x.stepDone != nil {
				x.stepDone(s, err)
			}
			if err == nil {
				x.done++
			}
			done := x.done
			x.mu.Unlock()
			if err != nil {
				return fmt.Errorf("%s: %w", stepName(s), err)
			}
			if x.progress != nil {
				x.progress(done, total)
			}
			if x.verbose != nil {
				fmt.Fprintln(x.verbose, s.String())
			}
		}
		return nil
	})
	if op == topology.OpCreateNode || op == topology.OpDeleteNode {
		x.mu.Lock()
		saveErr := x.own.save()
		x.mu.Unlock()
		if saveErr != nil {
			err = errors.Join(err, fmt.Errorf("save state: %w", saveErr))
		}
	}
	return err
}

// unitsOf splits a phase into what may run in parallel: one step
// each, or, for an operation whose steps of one node must keep their
// order (topology.InOrder), all of a node's steps in plan order.
func unitsOf(phase []topology.Step) [][]topology.Step {
	if !topology.InOrder(phase[0].Op) {
		units := make([][]topology.Step, len(phase))
		for i := range phase {
			units[i] = phase[i : i+1]
		}
		return units
	}
	var units [][]topology.Step
	at := map[string]int{}
	for _, s := range phase {
		i, ok := at[s.Node]
		if !ok {
			i = len(units)
			at[s.Node] = i
			units = append(units, nil)
		}
		units[i] = append(units[i], s)
	}
	return units
}

// stepName names a step's operation and object for error messages:
// "add-route h1 route 10.9.0.0/24 via 10.0.1.1".
func stepName(s topology.Step) string {
	return string(s.Op) + " " + s.Target()
}

// holdGate takes the lab's start gate exclusive (see gate_linux.go) and
// returns what releases it.
func (x *executor) holdGate(ctx context.Context) (func(), error) {
	dir, err := openLabDir(x.lab.Name, false)
	if err != nil {
		return nil, err
	}
	release, err := holdGate(ctx, dir, x.lab.Name)
	if err != nil {
		dir.Close()
		return nil, err
	}
	return func() { release(); dir.Close() }, nil
}
