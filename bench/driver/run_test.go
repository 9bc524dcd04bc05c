package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunHelpRunsNothing: bench/run -h prints its usage and exits 0
// without building topo, installing packages or running a benchmark
// (the driver's -h exits 0 too, and a full run would then go on to
// bench/sites and bench/services and append to bench/results.md).
// Any go build or apt-get it tried fails here, so the run would fail.
func TestRunHelpRunsNothing(t *testing.T) {
	stubs := t.TempDir()
	called := filepath.Join(stubs, "called")
	for _, name := range []string{"apt-get", "fakego"} {
		script := "#!/bin/sh\necho " + name + " \"$@\" >>" + called + "\nexit 1\n"
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile("../results.md")
	for _, arg := range []string{"-h", "--help"} {
		cmd := exec.Command("bash", "../run", arg)
		cmd.Env = append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"), "GO="+filepath.Join(stubs, "fakego"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("bench/run %s: %v\n%s", arg, err, out)
		}
		if !strings.Contains(string(out), "bench/run -services-only") {
			t.Errorf("bench/run %s printed no usage:\n%s", arg, out)
		}
		if log, _ := os.ReadFile(called); strings.Contains(string(log), "apt-get") || strings.Contains(string(log), "./cmd/topo") {
			t.Errorf("bench/run %s went on to build or install:\n%s", arg, log)
		}
	}
	if after, _ := os.ReadFile("../results.md"); string(after) != string(before) {
		t.Errorf("bench/run -h changed bench/results.md")
	}
}
