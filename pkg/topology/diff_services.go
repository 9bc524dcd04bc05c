package topology

import "maps"

// services plans a node's private files and services: files written
// when new or changed, a service started when new, restarted when its
// definition changed (and on reset), stopped when gone from the file.
// Other services of the node are left running.
func (d *differ) services(n, old *Node) {
	fresh := d.fresh[n.Name] || old == nil
	if n.HasPrivateView() && (fresh || !slicesEqual(old.Private, n.Private) || !maps.Equal(old.Files, n.Files)) {
		d.add(Step{Op: OpWriteFiles, Node: n.Name, Why: newOr(!fresh, "changed: files")})
	}
	if !fresh {
		for _, s := range old.Services {
			if n.Service(s.Name) == nil {
				d.add(Step{Op: OpStopService, Node: n.Name, Key: s.Name, Why: "removed from file"})
			}
		}
	}
	running := d.cur.Observed.Services[n.Name]
	for _, s := range n.Services {
		var was *Service
		if !fresh {
			was = old.Service(s.Name)
		}
		switch {
		case was == nil:
			d.add(Step{Op: OpStartService, Node: n.Name, Key: s.Name, Why: "new"})
		case !was.Equal(s):
			d.add(Step{Op: OpRestartService, Node: n.Name, Key: s.Name, Why: "changed: service " + s.Name})
		case d.cur.Reset:
			d.add(Step{Op: OpRestartService, Node: n.Name, Key: s.Name, Why: "reset"})
		case d.cur.Observed.Services != nil && !running[s.Name]:
			d.add(Step{Op: OpStartService, Node: n.Name, Key: s.Name, Why: "drift: service not supervised"})
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
