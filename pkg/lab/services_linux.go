package lab

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/service"
	"github.com/topo-lab/topo/pkg/topology"
)

// serviceStep notes a service step of the plan: the services are
// handed to the supervisor in one go once the plan is applied (see
// syncServices). A start or restart is noted so the supervisor starts
// the service afresh even when its definition is unchanged: a reset,
// or a node whose namespace was made again (its old processes died
// with the old one).
func (x *executor) serviceStep(s topology.Step) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.svcSteps = true
	if s.Op != topology.OpStopService {
		if x.restarts == nil {
			x.restarts = map[string]bool{}
		}
		x.restarts[s.Node+"/"+s.Key] = true
	}
	return nil
}

// labServices lists a lab's services in start order.
func labServices(l *topology.Lab) []service.Spec {
	var out []service.Spec
	for _, n := range l.Nodes {
		for _, s := range n.Services {
			out = append(out, service.Spec{Node: n.Name, Service: s})
		}
	}
	return out
}

// syncServices hands the desired services to the lab's supervisor,
// starting it when needed, and waits until it has acted on them. It
// returns an error naming each service that could not be started.
func syncServices(ctx context.Context, desired *topology.Lab, restarts map[string]bool) error {
	specs := labServices(desired)
	pid := supervisorPid(desired.Name)
	if len(specs) == 0 && pid == 0 {
		return nil
	}
	if err := makeLabSubdir(desired.Name, svcDirName); err != nil {
		return err
	}
	dir := svcDir(desired.Name)
	prev, err := service.ReadDesired(dir)
	if err != nil {
		prev = &service.Desired{}
	}
	tokens := map[string]int{}
	for _, s := range prev.Services {
		tokens[s.Key()] = s.Token
	}
	for i := range specs {
		k := specs[i].Key()
		specs[i].Token = tokens[k]
		if restarts[k] {
			specs[i].Token++
		}
	}
	d := &service.Desired{Gen: prev.Gen + 1, Services: specs}
	if err := service.WriteDesired(dir, d); err != nil {
		return fmt.Errorf("lab %s: services: %w", desired.Name, err)
	}
	if pid != 0 {
		if err := signalHUP(pid); err != nil {
			return err
		}
	} else if err := launchSupervisor(desired.Name); err != nil {
		return err
	}
	// Each service is started at once; a start costs a few
	// milliseconds, more on a loaded machine.
	limit := 30*time.Second + time.Duration(len(specs))*100*time.Millisecond
	st, err := waitStatus(ctx, dir, limit, func(st *service.Status) bool { return st.Gen >= d.Gen })
	switch {
	case errors.Is(err, errWaitLimit):
		return fmt.Errorf("lab %s: the supervisor did not take the services within %s (see %s)", desired.Name, limit, dir+"/supervisor.log")
	case err != nil:
		return fmt.Errorf("lab %s: interrupted while the supervisor took the services (they are its to start): %w", desired.Name, err)
	}
	if errs := startProblems(specs, st); len(errs) > 0 {
		return &ServiceError{Lab: desired.Name, Problems: errs}
	}
	return nil
}

// startProblems names each service of specs that could not be started:
// a command PATH does not hold, or what the supervisor says (st).
func startProblems(specs []service.Spec, st *service.Status) []string {
	var errs []string
	missing := map[string]bool{}
	for _, sp := range specs {
		if m := missingCommand(sp.Service.Command); m != "" {
			missing[sp.Key()] = true
			errs = append(errs, fmt.Sprintf("node %s service %s: command %q not found (install it, or fix the service's command)", sp.Node, sp.Service.Name, m))
		}
	}
	for _, s := range st.Services {
		if s.Error != "" && !missing[s.Node+"/"+s.Name] {
			errs = append(errs, fmt.Sprintf("node %s service %s: %s", s.Node, s.Name, s.Error))
		}
	}
	return errs
}

// servicesTried waits, within limit, until the lab's supervisor has
// tried every service: syncServices does not wait for those after a
// service with ready:, which start once it is. It asks the supervisor
// to look at once (SIGHUP: a Reconcile looks again at the services
// waited for), and returns a *ServiceError naming each service that
// could not be started.
func servicesTried(ctx context.Context, lab string, limit time.Duration) error {
	pid := supervisorPid(lab)
	if pid == 0 {
		return nil
	}
	if err := signalHUP(pid); err != nil {
		return err
	}
	dir := svcDir(lab)
	st, _ := waitStatus(ctx, dir, max(limit, 0), func(st *service.Status) bool {
		for _, s := range st.Services {
			if s.State == service.StateStarting {
				return false
			}
		}
		return true
	})
	if st == nil {
		return nil
	}
	if errs := startProblems(nil, st); len(errs) > 0 {
		return &ServiceError{Lab: lab, Problems: errs}
	}
	return nil
}

// ServiceError says which services of a lab that is otherwise up could
// not be started; the supervisor keeps trying them (with backoff).
type ServiceError struct {
	Lab      string
	Problems []string
}

// Error lists each service that could not start, one per line.
func (e *ServiceError) Error() string {
	return strings.Join(e.Problems, "\n") + "\n(`topo status --lab " + e.Lab + "` shows every service, `topo logs` their output)"
}

// missingCommand is the first word of a command when it names a
// program PATH does not hold; "" otherwise (a path, a shell word).
func missingCommand(command string) string {
	f := strings.Fields(command)
	for len(f) > 0 && strings.Contains(f[0], "=") {
		f = f[1:] // VAR=value before the command
	}
	if len(f) == 0 || strings.ContainsAny(f[0], "/$`\"'(){};&|<>") {
		return ""
	}
	switch f[0] {
	case "exec", "cd", "set", "export", "while", "for", "if", "until", "trap", "echo", "test", "[", "true", "false", "read", ":":
		return "" // the shell's own
	}
	if _, err := exec.LookPath(f[0]); err != nil {
		return f[0]
	}
	return ""
}

// observeServices says which services the lab's supervisor keeps; an
// empty map when none runs, nil for a lab without services.
func observeServices(applied *topology.Lab) map[string]map[string]bool {
	if len(labServices(applied)) == 0 {
		return nil
	}
	out := map[string]map[string]bool{}
	if supervisorPid(applied.Name) == 0 {
		return out
	}
	st, err := service.ReadStatus(svcDir(applied.Name))
	if err != nil || st == nil {
		return out
	}
	for _, s := range st.Services {
		if out[s.Node] == nil {
			out[s.Node] = map[string]bool{}
		}
		out[s.Node][s.Name] = true
	}
	return out
}

// ServiceLogPath is where a service's output goes.
func ServiceLogPath(lab, nodeName, svc string) string {
	return service.LogPath(svcDir(lab), nodeName, svc)
}

// servicesStatus reads the state of a lab's services, with the last
// lines of the log of each one not running.
func servicesStatus(lab string) []*ServiceStatus {
	st, err := service.ReadStatus(svcDir(lab))
	if err != nil || st == nil {
		return nil
	}
	alive := supervisorPid(lab) != 0
	var out []*ServiceStatus
	for _, s := range st.Services {
		ss := &ServiceStatus{State: s}
		if !alive {
			ss.State.State, ss.State.Pid = service.StateStopped, 0
		}
		ss.Uptime = time.Since(s.Since).Round(time.Second).String()
		if ss.State.State != service.StateRunning {
			ss.LastLines = service.Tail(ServiceLogPath(lab, s.Node, s.Name), 3)
		}
		out = append(out, ss)
	}
	return out
}
