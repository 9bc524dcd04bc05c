package topology

import "slices"

// Service is a long-running process of a node: started by up once the
// node's links, addresses and routes are in place, kept running by the
// lab's supervisor, stopped by down.
type Service struct {
	Name string `json:"name"`
	// Command is run with /bin/sh -c inside the node.
	Command string `json:"command"`
	// Restart is RestartOnFailure, RestartAlways or RestartNever.
	Restart string `json:"restart,omitempty"`
	// Env holds variables added to the service's environment.
	Env map[string]string `json:"env,omitempty"`
	// After names services of the same node this one waits for: it
	// starts once each of them was started or, for one with Ready, is
	// ready.
	After []string `json:"after,omitempty"`
	// Ready, when set, says when the service is ready (see Ready).
	Ready *Ready `json:"ready,omitempty"`
	Pos   Pos    `json:"-"`
}

// The restart policies of a service.
const (
	RestartOnFailure = "on-failure" // the default: restart when it exits non-zero
	RestartAlways    = "always"     // restart whenever it exits
	RestartNever     = "never"      // leave it exited
)

// Equal reports whether two services are defined alike (a changed
// definition restarts the service). Ready is left out: it says when
// the service is ready, not how it runs, so editing it alone restarts
// nothing.
func (s *Service) Equal(o *Service) bool {
	if s == nil || o == nil {
		return s == o
	}
	if s.Name != o.Name || s.Command != o.Command || s.Restart != o.Restart || !slices.Equal(s.After, o.After) || len(s.Env) != len(o.Env) {
		return false
	}
	for k, v := range s.Env {
		if w, ok := o.Env[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Service returns the node's service called name, or nil.
func (n *Node) Service(name string) *Service {
	for _, s := range n.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// HasPrivateView reports whether the node's processes need a view of
// the filesystem of their own (private paths or files).
func (n *Node) HasPrivateView() bool {
	return len(n.Private) > 0 || len(n.Files) > 0
}

// PrivatePaths are the paths bound over the machine's for the node's
// processes: its private: entries, and /etc/resolv.conf when its files
// set one. Sorted, so a parent comes before what is under it.
func (n *Node) PrivatePaths() []string {
	out := append([]string(nil), n.Private...)
	if _, ok := n.Files[ResolvConf]; ok && !slices.Contains(out, ResolvConf) {
		out = append(out, ResolvConf)
	}
	slices.Sort(out)
	return out
}
