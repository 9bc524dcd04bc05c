// Package deploy holds the files that start topo on many machines (an
// ssh loop, an Ansible playbook, a Kubernetes DaemonSet); its tests
// check that they parse and run the right command.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
	"go.yaml.in/yaml/v3"
)

// docs decodes every YAML document of a file.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, d)
	}
}

// dig follows keys (strings for maps, ints for lists) into v.
func dig(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v is not a map (looking for %q)", v, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v is not a list of more than %d", v, k)
			}
			v = l[k]
		}
	}
	return v
}

func TestExampleLab(t *testing.T) {
	l, _, err := topology.Load("lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Sites) != 3 {
		t.Fatalf("deploy/lab.yaml has %d sites, want 3", len(l.Sites))
	}
}

func TestDaemonSet(t *testing.T) {
	ds := docs(t, "kubernetes/daemonset.yaml")
	if len(ds) != 2 || ds[0]["kind"] != "ConfigMap" || ds[1]["kind"] != "DaemonSet" {
		t.Fatalf("want a ConfigMap and a DaemonSet, got %d documents", len(ds))
	}
	lab := dig(t, ds[0], "data", "lab.yaml").(string)
	l, _, err := topology.Parse("configmap lab.yaml", []byte(lab))
	if err != nil {
		t.Fatalf("the ConfigMap's lab: %v", err)
	}
	if len(l.Sites) < 2 {
		t.Errorf("the ConfigMap's lab has %d sites", len(l.Sites))
	}
	spec := dig(t, ds[1], "spec", "template", "spec")
	if dig(t, spec, "hostNetwork") != true {
		t.Errorf("hostNetwork is not true: the VXLAN sockets must be the node's")
	}
	c := dig(t, spec, "containers", 0)
	if dig(t, c, "securityContext", "privileged") != true {
		t.Errorf("the container is not privileged")
	}
	env := dig(t, c, "env", 0)
	if dig(t, env, "name") != "TOPO_SITE" || dig(t, env, "valueFrom", "fieldRef", "fieldPath") != "spec.nodeName" {
		t.Errorf("TOPO_SITE does not come from the node's name: %v", env)
	}
	// The command is topo up of the file the ConfigMap is mounted as.
	var mount string
	for _, m := range dig(t, c, "volumeMounts").([]any) {
		if dig(t, m, "name") == "lab" {
			mount = dig(t, m, "mountPath").(string)
		}
	}
	if dig(t, spec, "volumes", 0, "configMap", "name") != dig(t, ds[0], "metadata", "name") {
		t.Errorf("the lab volume is not the ConfigMap")
	}
	script := dig(t, c, "args", 0).(string)
	if want := "topo up " + mount + "/lab.yaml"; mount == "" || !strings.Contains(script, want) {
		t.Errorf("the container does not run %q:\n%s", want, script)
	}
	if down := dig(t, c, "lifecycle", "preStop", "exec", "command"); !strings.Contains(strings.Trim(strings.Join(strs(down), " "), " "), "topo down -f "+mount+"/lab.yaml") {
		t.Errorf("preStop does not take the lab down: %v", down)
	}
	if dig(t, c, "volumeMounts", 1, "mountPropagation") != "Bidirectional" {
		t.Errorf("/run/netns is not shared with the node")
	}
}

func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func TestAnsible(t *testing.T) {
	data, err := os.ReadFile("ansible/playbook.yml")
	if err != nil {
		t.Fatal(err)
	}
	var plays []map[string]any
	if err := yaml.Unmarshal(data, &plays); err != nil || len(plays) != 1 {
		t.Fatalf("a playbook of one play: %v", err)
	}
	if dig(t, plays[0], "hosts") != "topo_sites" || dig(t, plays[0], "become") != true {
		t.Errorf("the play is not for topo_sites as root: %v", plays[0])
	}
	var up, down []string
	for _, task := range dig(t, plays[0], "tasks").([]any) {
		cmd, ok := task.(map[string]any)["ansible.builtin.command"]
		if !ok {
			continue
		}
		argv := strs(dig(t, cmd, "argv"))
		switch argv[1] {
		case "up":
			up = argv
		case "down":
			down = argv
		}
	}
	if strings.Join(up, " ") != "topo up {{ topo_remote_file }} --site {{ topo_site }}" {
		t.Errorf("the up task runs %q", up)
	}
	if strings.Join(down, " ") != "topo down -f {{ topo_remote_file }} --site {{ topo_site }}" {
		t.Errorf("the down task runs %q", down)
	}
}

// TestSSH runs the ssh loop with ssh and scp replaced by scripts that
// record their arguments.
func TestSSH(t *testing.T) {
	if err := exec.Command("sh", "-n", "ssh-up.sh").Run(); err != nil {
		t.Fatalf("sh -n ssh-up.sh: %v", err)
	}
	bin := t.TempDir()
	log := bin + "/log"
	for _, name := range []string{"ssh", "scp"} {
		if err := os.WriteFile(bin+"/"+name, []byte("#!/bin/sh\necho "+name+" \"$@\" >> "+log+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("./ssh-up.sh", "lab.yaml", "m1=root@a", "m2=root@b")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-up.sh: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(log)
	want := "scp -q lab.yaml root@a:/tmp/topo-lab.yaml\nssh root@a topo up /tmp/topo-lab.yaml --site m1\n" +
		"scp -q lab.yaml root@b:/tmp/topo-lab.yaml\nssh root@b topo up /tmp/topo-lab.yaml --site m2\n"
	if string(got) != want {
		t.Errorf("ssh-up.sh ran:\n%s\nwant:\n%s", got, want)
	}
}
