package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/service"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netns"
)

// NotReady is a service with ready: that is not ready, and what its
// supervisor last said of it (State.State is "" when it said nothing).
type NotReady struct {
	Node, Service string
	Ready         *topology.Ready
	// After names the services it comes after (after:).
	After []string
	State service.State
}

// String says what is not ready and why it may be: "web1/web: nothing
// listens on tcp/80 (running, pid 812; see `topo logs web1/web`)".
func (n NotReady) String() string {
	verb := "listens on"
	if n.Ready.UDP != 0 {
		verb = "is bound to"
	}
	var how string
	switch s := n.State; s.State {
	case service.StateRunning:
		how = fmt.Sprintf("running, pid %d", s.Pid)
	case service.StateExited, service.StateFailing:
		how = s.State
		if s.Exit != nil {
			how = fmt.Sprintf("%s with status %d", s.State, *s.Exit)
		}
		if s.Error != "" {
			how += ": " + s.Error
		}
	case service.StateStarting:
		how = "not started yet"
		if len(n.After) > 0 {
			how = "not started: waits for " + strings.Join(n.After, ", ")
		}
	case "":
		how = "not known to the supervisor"
	default:
		how = s.State
	}
	return fmt.Sprintf("%s/%s: nothing %s %s (%s; see `topo logs %s/%s`)", n.Node, n.Service, verb, n.Ready, how, n.Node, n.Service)
}

// HasReady reports whether a service of the lab has ready:, which up
// waits for.
func HasReady(l *topology.Lab) bool {
	for _, n := range l.Nodes {
		for _, s := range n.Services {
			if s.Ready != nil {
				return true
			}
		}
	}
	return false
}

// serviceReady reports whether node's socket on is there: a listening
// TCP socket or a bound UDP one, read from the kernel (node.Listening)
// in the node's namespace, verified as the lab's own.
func serviceReady(own *ownership, nodeName string, on *topology.Ready) (bool, error) {
	f, err := own.openNetns(nodeName)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return node.Listening(netns.NsHandle(f.Fd()), on.Proto(), on.Port())
}

// WaitServices waits until every service of the lab that is up with
// ready: is ready, or limit passes: then it returns those that are not,
// each with its state; when ctx ends first, an error wrapping ctx's.
// Once they are ready it waits, within limit, for
// the supervisor to try the services after them, and returns a
// *ServiceError naming each that could not be started. It reads
// sockets only: nothing is started.
func WaitServices(ctx context.Context, l *topology.Lab, limit time.Duration) ([]NotReady, error) {
	_, own, err := loadOwnership(l.Name)
	if err != nil {
		return nil, err
	}
	var pending []NotReady
	for _, n := range l.Nodes {
		for _, s := range n.Services {
			if s.Ready != nil {
				pending = append(pending, NotReady{Node: n.Name, Service: s.Name, Ready: s.Ready, After: s.After})
			}
		}
	}
	deadline := time.Now().Add(limit)
	// Each node's namespace is opened once for the whole wait, not at
	// every look.
	hs := newHandles(own)
	defer hs.close()
	// ports reads a node's listening ports of one protocol: once per
	// look for all its services, not once per service.
	ports := func(nodeName, proto string) (map[int]bool, error) {
		ns, release, err := hs.use(nodeName)
		if err != nil {
			return nil, err
		}
		defer release()
		return node.ListeningPorts(ns.Fd, proto)
	}
	var lookErr error
	err = pollUntil(ctx, limit, service.ReadyPoll, func() bool {
		var still []NotReady
		read := map[string]map[int]bool{} // by node and protocol
		for _, p := range pending {
			key := p.Node + "/" + p.Ready.Proto()
			held, ok := read[key]
			if !ok {
				var err error
				if held, err = ports(p.Node, p.Ready.Proto()); err != nil {
					lookErr = fmt.Errorf("service %s/%s: %w", p.Node, p.Service, err)
					return true
				}
				read[key] = held
			}
			if !held[p.Ready.Port()] {
				still = append(still, p)
			}
		}
		pending = still
		return len(pending) == 0
	})
	switch {
	case lookErr != nil:
		return nil, lookErr
	case errors.Is(err, errWaitLimit):
		return withStates(l.Name, pending), nil
	case err != nil:
		return nil, fmt.Errorf("interrupted while waiting for services to be ready (the lab is up): %w", err)
	}
	return nil, servicesTried(ctx, l.Name, time.Until(deadline))
}

// withStates fills in each service's state from the supervisor's
// status file.
func withStates(lab string, ns []NotReady) []NotReady {
	byKey := map[string]service.State{}
	for _, s := range servicesStatus(lab) {
		byKey[s.Node+"/"+s.Name] = s.State
	}
	for i := range ns {
		ns[i].State = byKey[ns[i].Node+"/"+ns[i].Service]
	}
	return ns
}
