package main

// The course in examples/course: every lab is validated, brought up and
// checked, its broken.yaml fails, and every command its sheet
// (README.md) shows is run, in order, against the lab, its output
// compared with the sheet's (see internal/e2e/sheet.go for the
// convention and what is masked). The labs run one after the other:
// the whole course takes about a minute.

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
)

var courseUpdate = flag.Bool("course.update", false, "write the real output of each sheet's commands into examples/course/*/README.md where it differs")

// stepTimeout bounds one command of a sheet, a background one included.
const stepTimeout = 60 * time.Second

func TestCourse(t *testing.T) {
	for _, dir := range courseLabs(t) {
		base := filepath.Base(dir)
		t.Run(base, func(t *testing.T) { runCourseLab(t, dir) })
	}
}

// runCourseLab runs one lab of the course: its sheet's commands, then
// the checks of lab.yaml and broken.yaml.
func runCourseLab(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, need := range courseNeeds(t, filepath.Join(dir, "lab.yaml")) {
		if _, err := exec.LookPath(need); err != nil {
			e2e.Skipf(t, "skipped: this lab needs %s, which is not installed (`make test-deps` installs it)", need)
		}
	}
	l := newLab(t, "c"+filepath.Base(dir)[:2], "")
	for _, f := range files {
		l.WriteRenamed(f)
	}
	l.File = filepath.Join(l.Dir, "lab.yaml")
	if r := l.Topo("validate", "--strict", l.File); r.Code != 0 {
		if strings.Contains(r.Stderr, "no netem qdisc") {
			e2e.Skipf(t, "skipped: this lab needs the netem qdisc, which this kernel lacks (see its sheet, \"Before you start\"; make test-kernel runs it):\n%s", r.Stderr)
		}
		t.Fatalf("lab.yaml is not valid with --strict:\n%v", r)
	}
	name := labName(t, filepath.Join(dir, "lab.yaml"))
	sheetSteps := runSheet(t, l, name, filepath.Join(dir, "README.md"))

	// Whatever the sheet did, the lab's file brings it back and its
	// expectations hold.
	l.Must("up", l.File)
	if r := l.Topo("check", l.File); r.Code != 0 {
		t.Errorf("topo check lab.yaml after the sheet:\n%v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "broken.yaml")); err != nil {
		return
	}
	// broken.yaml fails one of two ways, and its sheet shows which and
	// why: validation refuses it (a warning is enough: the loop of
	// switches without spanning tree, the mistyped mask), or it comes up
	// and an expectation fails.
	broken := filepath.Join(l.Dir, "broken.yaml")
	if !sheetRuns(sheetSteps, "broken.yaml") {
		t.Errorf("%s/README.md runs no command on broken.yaml: the sheet must show how it fails", dir)
	}
	if r := l.Topo("validate", "--strict", broken); r.Code != 0 {
		return
	}
	l.Must("up", broken)
	if r := l.Topo("check", broken); r.Code != 1 {
		t.Errorf("topo check broken.yaml: want exit 1 (an expectation fails):\n%v", r)
	}
}

// courseNeeds reads the commands a lab needs besides topo from its
// file's "# needs: a, b" line.
func courseNeeds(t *testing.T, file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^# needs: (.*)$`).FindSubmatch(data)
	if m == nil {
		return nil
	}
	return strings.FieldsFunc(string(m[1]), func(r rune) bool { return r == ',' || r == ' ' })
}

// labName is the name line of a lab file.
func labName(t *testing.T, file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^name: *(\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s has no name line", file)
	}
	return string(m[1])
}

// runSheet runs the commands of a sheet in the lab's directory, in
// order, with the lab's name in place of the sheet's, and compares what
// each prints with the sheet. With -course.update it writes the real
// outputs into the sheet instead of failing.
func runSheet(t *testing.T, l *labT, name, path string) []e2e.SheetStep {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := e2e.ParseSheet(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(sheet.Steps) == 0 {
		t.Logf("%s: no console blocks yet: only the lab's file is tested", path)
		return nil
	}
	if !strings.HasPrefix(sheet.Steps[0].Cmd, "topo up lab.yaml") {
		t.Fatalf("%s: the first command of a sheet is `topo up lab.yaml`", path)
	}
	nameRE := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
	outputs := map[int][]string{}
	compare := func(st e2e.SheetStep, out string) {
		got := strings.Split(strings.ReplaceAll(out, l.Name, name), "\n")
		if ok, diff := e2e.MatchOutput(st.Want, got); !ok {
			if *courseUpdate {
				for _, g := range got {
					if strings.HasPrefix(g, "# ") {
						t.Errorf("%s:%d: # %s prints %q: written into the sheet, it would read as a command; filter it out (grep -v '^#')", path, st.Line, st.Cmd, g)
						return
					}
				}
				outputs[st.Line] = got
				return
			}
			t.Errorf("%s:%d: # %s\n%s", path, st.Line, st.Cmd, diff)
		}
	}
	var running []*sheetProc
	finish := func() {
		for _, p := range running {
			compare(p.step, p.wait(t))
		}
		running = nil
	}
	for i, st := range sheet.Steps {
		t.Logf("%s:%d: # %s", filepath.Base(filepath.Dir(path)), st.Line, st.Cmd)
		if i > 0 && st.Block != sheet.Steps[i-1].Block {
			finish()
		}
		p := startStep(t, l, st, nameRE.ReplaceAllString(st.Cmd, l.Name))
		if st.Background {
			p.firstLine(t)
			running = append(running, p)
			continue
		}
		compare(st, p.wait(t))
	}
	finish()
	if len(outputs) > 0 {
		if err := os.WriteFile(path, []byte(sheet.Rewrite(outputs)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: rewrote the output of %d commands", path, len(outputs))
	}
	return sheet.Steps
}

// sheetRuns reports whether one of the steps' commands names file.
func sheetRuns(steps []e2e.SheetStep, file string) bool {
	for _, st := range steps {
		if strings.Contains(st.Cmd, file) {
			return true
		}
	}
	return false
}

// sheetProc is one command of a sheet, running.
type sheetProc struct {
	step   e2e.SheetStep
	cmd    *exec.Cmd
	out    e2e.SyncBuffer
	cancel context.CancelFunc
}

// startStep starts one command of a sheet with sh, in the lab's
// directory, with the test's topo first in PATH and the lab's state
// directory; standard output and error go to one buffer, as on a
// terminal.
func startStep(t *testing.T, l *labT, st e2e.SheetStep, line string) *sheetProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	p := &sheetProc{step: st, cancel: cancel}
	p.cmd = exec.CommandContext(ctx, "sh", "-c", line)
	p.cmd.Dir = l.Dir
	p.cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(e2e.Bin())+":"+os.Getenv("PATH"), "TOPO_STATE_DIR="+l.StateDir)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// A timed-out command is killed with everything it started (its
	// process group), and Wait stops waiting for their output soon
	// after.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Cancel = func() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("line %d: %s: %v", st.Line, line, err)
	}
	return p
}

// firstLine waits until a background command has printed a line (a
// capture: "listening on ...", printed once it listens).
func (p *sheetProc) firstLine(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for !strings.Contains(p.out.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(p.out.String(), "\n") {
		t.Fatalf("line %d: # %s printed nothing:\n%s", p.step.Line, p.step.Cmd, p.out.String())
	}
}

// wait waits for the command and returns its output; a command still
// running after stepTimeout is killed and fails t.
func (p *sheetProc) wait(t *testing.T) string {
	t.Helper()
	defer p.cancel()
	p.cmd.Wait()
	if p.cmd.ProcessState == nil || p.cmd.ProcessState.ExitCode() == -1 {
		t.Errorf("line %d: # %s did not end within %v (a background command must end by itself: -c N, --timeout)", p.step.Line, p.step.Cmd, stepTimeout)
	}
	return p.out.String()
}

// courseLabs lists the labs of the course: examples/course/NN-*.
func courseLabs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("../../examples/course/[0-9][0-9]-*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no course labs found (%v)", err)
	}
	return dirs
}
