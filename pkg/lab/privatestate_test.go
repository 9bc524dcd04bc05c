package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestPrivateOverState(t *testing.T) {
	l := &topology.Lab{Nodes: []*topology.Node{
		{Name: "a", Private: []string{"/srv"}, Pos: topology.Pos{File: "lab.yaml", Line: 3}},
		{Name: "b", Private: []string{"/srv/topo/x", "/var/www"}},
		{Name: "c", Private: []string{"/srv/topology", "/srv/top"}},
	}}
	err := privateOverState(l, "/srv/topo/", same)
	if err == nil {
		t.Fatal("no error for private paths over the state directory")
	}
	for _, want := range []string{
		"lab.yaml:3: node a: private path /srv overlaps topo's state directory /srv/topo (TOPO_STATE_DIR)",
		"\nnode b: private path /srv/topo/x overlaps",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "node c") || strings.Contains(err.Error(), "/var/www") {
		t.Errorf("paths beside the state directory refused: %v", err)
	}
	if err := privateOverState(l, "/run/topo", same); err != nil {
		t.Errorf("refused with the state directory elsewhere: %v", err)
	}
}

func same(p string) string { return p }

// TestPrivateOverStateThroughALink: /var/run is /run on most machines,
// so making it private hides a state directory under /run.
func TestPrivateOverStateThroughALink(t *testing.T) {
	l := &topology.Lab{Nodes: []*topology.Node{{Name: "a", Private: []string{"/var/run"}}}}
	resolve := func(p string) string {
		if p == "/var/run" {
			return "/run"
		}
		return p
	}
	if err := privateOverState(l, "/run/topo", resolve); err == nil || !strings.Contains(err.Error(), "private path /var/run overlaps topo's state directory /run/topo") {
		t.Errorf("err = %v", err)
	}
}

func TestRealPath(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	r, _ := filepath.EvalSymlinks(real)
	for in, want := range map[string]string{
		filepath.Join(dir, "link"):            r,
		filepath.Join(dir, "link", "x", "y"):  filepath.Join(r, "x", "y"),
		filepath.Join(dir, "real", "missing"): filepath.Join(r, "missing"),
	} {
		if got := realPath(in); got != want {
			t.Errorf("realPath(%s) = %s, want %s", in, got, want)
		}
	}
}
