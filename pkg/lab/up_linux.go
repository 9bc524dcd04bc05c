package lab

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/topo-lab/topo/pkg/addrclient"
	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/routing"
	"github.com/topo-lab/topo/pkg/topology"
)

// Options tune Up, Down and Plan. The zero value is quiet.
type Options struct {
	// Verbose receives each applied step and the output of exec
	// commands; nil for none.
	Verbose io.Writer
	// Wait receives a line naming the other topo (what it does, its
	// pid) when one holds the lab's lock. The call waits for the other
	// to finish, or for ctx to end: then its error wraps
	// ErrStoppedWaiting and nothing changed.
	Wait io.Writer
	// Progress is called after each step with steps done and total.
	Progress func(done, total int)
	// Step is called after each step of the plan that was tried, with
	// its error (nil: the step is done), one call at a time; nil for
	// none. A failed up can so say where it stopped.
	Step func(s topology.Step, err error)
	// Notes receives what the user should know that is not an error: a
	// damaged state rebuilt, a namespace left alone. nil for none.
	Notes io.Writer
	// Reset makes Up also undo what was done inside the nodes since
	// they were made (see topology.Current.Reset): processes, settings,
	// neighbour entries; exec commands run again.
	Reset bool
	// WaitCleanup makes Down wait until the kernel has freed each of
	// the lab's namespaces (nothing holds one any more: no process, no
	// open file) and finished tearing them down, which it otherwise
	// does in the background after Down returns.
	WaitCleanup bool
}

// Up converges the kernel to the desired lab: it locks the lab,
// observes the kernel, plans, and applies the plan. It returns the plan
// it applied (empty when nothing changed). On failure the lab can be
// completed by running Up again or removed by Down.
//
// Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN). Any goroutine.
func Up(ctx context.Context, desired *topology.Lab, opts Options) (*topology.Plan, error) {
	if err := link.CheckKernel(desired); err != nil {
		return nil, err
	}
	if err := routing.Check(desired); err != nil {
		return nil, err
	}
	if err := addrclient.Check(desired); err != nil {
		return nil, err
	}
	if err := privateOverState(desired, Root, realPath); err != nil {
		return nil, err
	}
	desired = expand(desired)
	lock, err := LockLab(ctx, desired.Name, "topo up", opts.Wait)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	st, err := loadOrNew(desired, opts.Notes)
	if err != nil {
		return nil, err
	}
	own := ownershipOf(st)
	hs := newHandles(own)
	defer hs.close()
	obs, adopted, err := observe(ctx, desired, st.Lab, own, hs)
	if err != nil {
		return nil, err
	}
	obs.Services = observeServices(st.Lab)
	for n, inode := range adopted {
		if err := own.adopt(n, inode); err != nil {
			return nil, err
		}
	}
	if err := own.sync(); err != nil {
		return nil, err
	}
	if opts.Reset {
		if err := observeLeftovers(ctx, desired, obs, hs); err != nil {
			return nil, err
		}
	}
	plan := topology.Diff(desired, topology.Current{Applied: st.Lab, Observed: obs, SysctlOriginal: st.SysctlOriginal, Reset: opts.Reset})
	// A machine limit the lab would hit half-way is said now, with how
	// to raise it, before anything is built.
	if nodes, procs := newWork(desired, plan); nodes > 0 || procs > 0 {
		if err := machineProblems(desired.Name, readMachineLimits(), nodes, procs); err != nil {
			return plan, err
		}
	}
	// Record the union first: whatever the apply reaches, nothing that
	// may exist is forgotten (and exec commands not yet run stay due).
	st.Lab = pendingLab(st.Lab, desired, plan)
	if err := own.save(); err != nil {
		return plan, fmt.Errorf("save state: %w", err)
	}
	if err := writeHosts(desired); err != nil {
		return plan, fmt.Errorf("write hosts file: %w", err)
	}
	if err := writeResolv(desired); err != nil {
		return plan, fmt.Errorf("write resolv.conf: %w", err)
	}
	if err := makeLabSubdir(desired.Name, utsDirName); err != nil {
		return plan, err
	}

	x := &executor{lab: desired, st: st, own: own, obs: obs, hs: hs, verbose: opts.Verbose, progress: opts.Progress, stepDone: opts.Step}
	applyErr := x.apply(ctx, plan)
	if applyErr == nil {
		st.Lab = desired
	}
	if err := own.save(); err != nil {
		applyErr = errors.Join(applyErr, fmt.Errorf("save state: %w", err))
	}
	if applyErr == nil {
		waitSpanningTree(ctx, desired, plan, hs, opts.Wait)
	}
	if applyErr == nil || x.svcSteps {
		// Services start once everything else is in place; a service
		// that cannot start fails up, the rest of the lab still built.
		if err := syncServices(ctx, desired, x.restarts); applyErr == nil {
			applyErr = err
		} else if err != nil {
			applyErr = errors.Join(applyErr, err)
		}
	}
	return plan, applyErr
}

// PlanFor computes what Up would do (with reset, what Up with
// Options.Reset would do), changing nothing. It takes no lock, so a
// concurrent Up may make the answer stale.
func PlanFor(ctx context.Context, desired *topology.Lab, reset bool) (*topology.Plan, error) {
	desired = expand(desired)
	st, err := loadOrNew(desired, nil)
	if err != nil {
		return nil, err
	}
	own := ownershipOf(st)
	hs := newHandles(own)
	defer hs.close()
	obs, _, err := observe(ctx, desired, st.Lab, own, hs)
	if err != nil {
		return nil, err
	}
	obs.Services = observeServices(st.Lab)
	if reset {
		if err := observeLeftovers(ctx, desired, obs, hs); err != nil {
			return nil, err
		}
	}
	return topology.Diff(desired, topology.Current{Applied: st.Lab, Observed: obs, SysctlOriginal: st.SysctlOriginal, Reset: reset}), nil
}

// expand adds to a lab what its routing and addressing fields imply:
// FRR on its routers, DHCP clients on its nodes (files, private paths,
// services).
func expand(l *topology.Lab) *topology.Lab { return addrclient.Expand(routing.Expand(l)) }

// loadOrNew loads a lab's state, or starts an empty one for a new lab.
// A damaged state file, or a missing one next to namespace records, is
// rebuilt from the records (see recoverState), and notes says so.
func loadOrNew(desired *topology.Lab, notes io.Writer) (*State, error) {
	name := desired.Name
	st, err := LoadState(name)
	if err == nil {
		return st, fillFromRecords(st)
	}
	if !errors.Is(err, ErrNoState) && !errors.Is(err, ErrDamaged) {
		return nil, err
	}
	why := stateTrouble(err)
	rec, ok, rerr := recoverState(name, desired)
	switch {
	case rerr != nil:
		return nil, fmt.Errorf("%w; reading the namespace records: %w", err, rerr)
	case ok:
		if notes != nil {
			fmt.Fprintf(notes, "lab %s: the state file %s; rebuilding it from the %d namespaces recorded in %s\n", name, why, len(rec.Namespaces), recordsPath(name))
		}
		return rec, nil
	case errors.Is(err, ErrDamaged) && notes != nil:
		fmt.Fprintf(notes, "lab %s: the state file %s and no namespace is recorded; starting afresh\n", name, why)
	}
	return &State{Lab: &topology.Lab{Name: name}, Namespaces: map[string]uint64{}}, nil
}
