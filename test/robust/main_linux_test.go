// Package robust holds the tests of what topo promises about never
// losing a lab: interrupted runs, drift, concurrency, ownership,
// hostile input, reboots. They drive the topo binary as a user would,
// each test with a private state directory (TOPO_STATE_DIR) and lab
// names no other run shares.
package robust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	// topoBin is the topo binary built by TestMain.
	topoBin string
	// runID starts every lab name of this run: "rb" and four hex digits
	// of the test process's pid.
	runID = fmt.Sprintf("rb%04x", os.Getpid()&0xffff)
	// buildErr is set when TestMain could not build topo.
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "topo-robust-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "robust:", err)
		os.Exit(1)
	}
	topoBin = filepath.Join(dir, "topo")
	build := exec.Command("go", "build", "-o", topoBin, "../../cmd/topo")
	if out, err := build.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build: %v\n%s", err, out)
	}
	var before []string
	if os.Geteuid() == 0 {
		before = rootLinks()
	}
	code := m.Run()
	if os.Geteuid() == 0 {
		if left := netnsFiles(runID); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "robust: namespaces left behind: %v\n", left)
			code = 1
		}
		if added := newRootLinks(before, rootLinks()); len(added) > 0 {
			fmt.Fprintf(os.Stderr, "robust: links left in the root namespace: %v\n", added)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needRoot skips a test that builds namespaces when not root, and
// fails it when topo could not be built.
func needRoot(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if os.Geteuid() != 0 {
		t.Skip("skipped: these tests build network namespaces and need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: the ip command (iproute2) is not installed")
	}
}

// result is the outcome of one topo command.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("topo %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// labT is one lab under test: a name no other test uses, a private
// state directory and a topology file in a temporary directory.
type labT struct {
	t        *testing.T
	name     string
	stateDir string
	dir      string
	file     string
}

// newLab prepares a lab named runID-tag; body is a topology file
// without its name line ("" to write it later). Cleanup takes the lab
// down and checks that nothing of it remains.
func newLab(t *testing.T, tag, body string) *labT {
	t.Helper()
	needRoot(t)
	l := &labT{t: t, name: runID + "-" + tag, stateDir: t.TempDir(), dir: t.TempDir()}
	if len(l.name) > 32 {
		t.Fatalf("lab name %q is longer than 32 characters", l.name)
	}
	l.file = filepath.Join(l.dir, "lab.yaml")
	if body != "" {
		l.write(body)
	}
	t.Cleanup(func() {
		if r := l.topo("down", l.name); r.code != 0 {
			t.Errorf("cleanup: %v", r)
		}
		l.isGone("cleanup")
	})
	return l
}

// in returns the lab as seen from a subtest: failures go to t.
func (l *labT) in(t *testing.T) *labT {
	c := *l
	c.t = t
	return &c
}

// write replaces the lab's file with "name: LAB" followed by body.
func (l *labT) write(body string) {
	l.t.Helper()
	if err := os.WriteFile(l.file, []byte("name: "+l.name+"\n"+body), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// gen writes the lab's file from `topo gen ARGS...`.
func (l *labT) gen(args ...string) {
	l.t.Helper()
	r := l.must(append([]string{"gen"}, args...)...)
	body := regexp.MustCompile(`(?m)^name:.*\n`).ReplaceAllString(r.stdout, "")
	l.write(body)
}

// ns is the namespace name of one of the lab's nodes.
func (l *labT) ns(node string) string { return l.name + "-" + node }

// topo runs the binary with the lab's state directory.
func (l *labT) topo(args ...string) result {
	l.t.Helper()
	return runTopo(l.t, l.stateDir, args...)
}

// must runs topo and fails the test unless it exits 0.
func (l *labT) must(args ...string) result {
	l.t.Helper()
	r := l.topo(args...)
	if r.code != 0 {
		l.t.Fatalf("%v", r)
	}
	return r
}

// up runs `topo up FILE` and returns the plan steps it printed.
func (l *labT) up() []string {
	l.t.Helper()
	return planSteps(l.must("up", l.file).stdout)
}

// plan runs `topo plan FILE` and returns its steps.
func (l *labT) plan() []string {
	l.t.Helper()
	return planSteps(l.must("plan", l.file).stdout)
}

// start runs topo in the background; wait with (*proc).wait.
func (l *labT) start(args ...string) *proc {
	l.t.Helper()
	p := &proc{args: args, cmd: exec.Command(topoBin, args...)}
	p.cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+l.stateDir)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	if err := p.cmd.Start(); err != nil {
		l.t.Fatalf("start topo %v: %v", args, err)
	}
	return p
}

// proc is a topo command running in the background.
type proc struct {
	args     []string
	cmd      *exec.Cmd
	out, err syncBuffer
}

// wait waits for the command and returns its result; code is -1 when a
// signal killed it.
func (p *proc) wait() result {
	err := p.cmd.Wait()
	r := result{args: p.args, stdout: p.out.String(), stderr: p.err.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.code, r.stderr = -2, r.stderr+err.Error()
	}
	return r
}

func runTopo(t *testing.T, stateDir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(topoBin, args...)
	cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+stateDir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run topo %v: %v", args, err)
	}
	return r
}

// planSteps picks the step lines ("+ node h1  (new)") out of the
// output of up or plan, without the "(why)" part.
func planSteps(out string) []string {
	var steps []string
	for _, line := range strings.Split(out, "\n") {
		if len(line) < 2 || !strings.Contains("+-~!", line[:1]) || line[1] != ' ' {
			continue
		}
		if i := strings.LastIndex(line, " ("); i > 0 && strings.HasSuffix(line, ")") {
			line = line[:i]
		}
		steps = append(steps, strings.TrimSpace(line))
	}
	return steps
}

// sameSteps fails the test unless got and want hold the same steps.
func sameSteps(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s: steps\n  %s\nwant\n  %s", what, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
}

// labStatus is the part of `topo status --json` these tests read.
type labStatus struct {
	Name  string   `json:"name"`
	State string   `json:"state"`
	Drift []string `json:"drift"`
	Error string   `json:"error"`
	Nodes []struct {
		Name    string `json:"name"`
		Present bool   `json:"present"`
	} `json:"nodes"`
}

// status runs `topo status LAB --json`.
func (l *labT) status() labStatus {
	l.t.Helper()
	r := l.must("status", l.name, "--json")
	var all []labStatus
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil {
		l.t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	if len(all) != 1 || all[0].Name != l.name {
		l.t.Fatalf("status --json: want exactly lab %s:\n%s", l.name, r.stdout)
	}
	return all[0]
}

// isComplete fails the test unless the lab is up as its file says:
// status "up" without drift, an empty plan, one namespace per node.
func (l *labT) isComplete(when string, nodes int) {
	l.t.Helper()
	if s := l.status(); s.State != "up" || len(s.Drift) > 0 {
		l.t.Errorf("%s: status %q, drift %v; want up, none", when, s.State, s.Drift)
	}
	if steps := l.plan(); len(steps) > 0 {
		l.t.Errorf("%s: plan is not empty: %v", when, steps)
	}
	if got := netnsFiles(l.name + "-"); len(got) != nodes {
		l.t.Errorf("%s: %d namespaces, want %d: %v", when, len(got), nodes, got)
	}
}

// isGone fails the test if anything of the lab remains: a namespace
// (in `ip netns list` or a file in /run/netns), the lab's state
// directory or anything in it.
func (l *labT) isGone(when string) {
	l.t.Helper()
	if left := namespacesWithPrefix(l.name + "-"); len(left) > 0 {
		l.t.Errorf("%s: ip netns list still shows %v", when, left)
	}
	if left := netnsFiles(l.name + "-"); len(left) > 0 {
		l.t.Errorf("%s: /run/netns still holds %v", when, left)
	}
	dir := filepath.Join(l.stateDir, l.name)
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		var names []string
		filepath.WalkDir(dir, func(path string, _ fs.DirEntry, _ error) error {
			names = append(names, path)
			return nil
		})
		l.t.Errorf("%s: the lab's state remains (%v): %v", when, err, names)
	}
}

// sh runs a command and returns its combined output, failing the test
// on error.
func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// namespacesWithPrefix lists `ip netns list` entries starting with prefix.
func namespacesWithPrefix(prefix string) []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	sort.Strings(names)
	return names
}

// netnsFiles lists the files in /run/netns starting with prefix,
// mounted or not (a crash can leave an empty file behind).
func netnsFiles(prefix string) []string {
	entries, _ := os.ReadDir("/run/netns")
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// nsInode is the nsfs inode of a named namespace.
func nsInode(t *testing.T, name string) uint64 {
	t.Helper()
	fi, err := os.Stat("/run/netns/" + name)
	if err != nil {
		t.Fatalf("namespace %s: %v", name, err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// addForeign makes a namespace topo did not make (ip netns add) and
// removes it at cleanup; it returns its inode.
func addForeign(t *testing.T, name string) uint64 {
	t.Helper()
	sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return nsInode(t, name)
}

// ifindex is the index of an interface in a namespace.
func ifindex(t *testing.T, ns, iface string) int {
	t.Helper()
	var list []struct {
		Index int `json:"ifindex"`
	}
	if err := json.Unmarshal([]byte(sh(t, "ip", "-j", "-n", ns, "link", "show", "dev", iface)), &list); err != nil || len(list) != 1 {
		t.Fatalf("ip -j -n %s link show dev %s: %v", ns, iface, err)
	}
	return list[0].Index
}

// rootLinks lists the names of the root namespace's links.
func rootLinks() []string {
	out, err := exec.Command("ip", "-br", "link").Output()
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			name, _, _ := strings.Cut(f[0], "@")
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// newRootLinks returns the links of after that are not in before and
// whose peer is in one of this run's namespaces: what topo would leave
// in the root namespace by mistake. Other links that come and go are
// other people's (tests and benchmarks share this machine).
func newRootLinks(before, after []string) []string {
	had := map[string]bool{}
	for _, n := range before {
		had[n] = true
	}
	var added []string
	for _, n := range after {
		if had[n] {
			continue
		}
		out, err := exec.Command("ip", "-d", "link", "show", "dev", n).Output()
		if err != nil {
			continue
		}
		if m := regexp.MustCompile(`link-netns (\S+)`).FindSubmatch(out); m != nil && strings.HasPrefix(string(m[1]), runID) {
			added = append(added, n)
		}
	}
	return added
}

// processes lists the pids of the processes whose command line is
// exactly argv (a "sleep MARK" a lab's exec left running).
func processes(argv ...string) []int {
	want := strings.Join(argv, "\x00") + "\x00"
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || string(cmdline) != want {
			continue
		}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// eventually polls cond up to a bound (not an assertion on speed: a
// killed process needs a moment to be reaped) and reports whether it
// became true.
func eventually(cond func() bool) bool {
	for i := 0; i < 100; i++ {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
