package main

// Helpers for the end-to-end tests in e2e_linux_test.go: they build
// the topo binary once and run it as a user would, each test with a
// private state directory and lab names no other run can share.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	// topoBin is the topo binary built by TestMain.
	topoBin string
	// runID starts every lab name of this run ("e2e" and 4 hex digits),
	// so labs of concurrent runs never collide.
	runID string
	// buildErr is set when TestMain could not build topo.
	buildErr error
)

func TestMain(m *testing.M) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	runID = "e2e" + hex.EncodeToString(b[:])
	dir, err := os.MkdirTemp("", "topo-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	// Readable by everyone: one test runs the binary as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	topoBin = filepath.Join(dir, "topo")
	build := exec.Command("go", "build", "-o", topoBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build: %v\n%s", err, out)
	}
	var before []string
	if os.Geteuid() == 0 {
		before = rootLinks()
	}
	code := m.Run()
	if os.Geteuid() == 0 {
		if left := namespacesWithPrefix(runID); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "e2e: namespaces left behind: %v\n", left)
			code = 1
		}
		if added := newRootLinks(before, rootLinks()); len(added) > 0 {
			fmt.Fprintf(os.Stderr, "e2e: links left in the root namespace: %v\n", added)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinary fails the test when TestMain could not build topo.
func needBinary(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// needRootE2E skips a test that changes namespaces when not root.
func needRootE2E(t *testing.T) {
	t.Helper()
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("skipped: end-to-end tests build network namespaces and need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
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
// without its name line. Cleanup takes the lab down and checks that
// none of its namespaces remain.
func newLab(t *testing.T, tag, body string) *labT {
	t.Helper()
	needRootE2E(t)
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
		if left := namespacesWithPrefix(l.name + "-"); len(left) > 0 {
			t.Errorf("cleanup: namespaces of lab %s remain after down: %v", l.name, left)
		}
	})
	return l
}

// write replaces the lab's file with "name: LAB" followed by body.
func (l *labT) write(body string) {
	l.t.Helper()
	data := "name: " + l.name + "\n" + body
	if err := os.WriteFile(l.file, []byte(data), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// writeRenamed writes src's content with its name line replaced by the
// lab's name (lines keep their numbers) to a file named like src.
func (l *labT) writeRenamed(src string) string {
	l.t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		l.t.Fatal(err)
	}
	out := nameLineRE.ReplaceAll(data, []byte("name: "+l.name))
	path := filepath.Join(l.dir, filepath.Base(src))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		l.t.Fatal(err)
	}
	return path
}

var nameLineRE = regexp.MustCompile(`(?m)^name:.*$`)

// ns is the namespace name of one of the lab's nodes.
func (l *labT) ns(node string) string { return l.name + "-" + node }

// topo runs the binary with the lab's state directory.
func (l *labT) topo(args ...string) result {
	l.t.Helper()
	return runTopo(l.t, l.stateDir, nil, args...)
}

// topoIn runs the binary with stdin.
func (l *labT) topoIn(stdin io.Reader, args ...string) result {
	l.t.Helper()
	return runTopo(l.t, l.stateDir, stdin, args...)
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

func runTopo(t *testing.T, stateDir string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(topoBin, args...)
	cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+stateDir)
	cmd.Stdin = stdin
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

// namespaces lists `ip netns list`.
func namespaces() []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	sort.Strings(names)
	return names
}

func namespacesWithPrefix(prefix string) []string {
	var out []string
	for _, n := range namespaces() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// nsInode is the nsfs inode of a named namespace (0 when absent).
func nsInode(t *testing.T, name string) uint64 {
	t.Helper()
	fi, err := os.Stat("/run/netns/" + name)
	if err != nil {
		t.Fatalf("namespace %s: %v", name, err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
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

// newRootLinks returns the links of after that are not in before,
// leaving out veths whose peer is in a namespace of another run (other
// people's tests may share this machine).
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
			continue // gone again
		}
		if m := linkNetnsRE.FindSubmatch(out); m != nil && !strings.HasPrefix(string(m[1]), runID) {
			continue
		}
		added = append(added, n)
	}
	return added
}

var linkNetnsRE = regexp.MustCompile(`link-netns (\S+)`)

// iface is one interface as `ip -j addr` shows it.
type iface struct {
	Name      string   `json:"ifname"`
	Flags     []string `json:"flags"`
	MTU       int      `json:"mtu"`
	OperState string   `json:"operstate"`
	MAC       string   `json:"address"`
	AddrInfo  []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func (i iface) up() bool {
	for _, f := range i.Flags {
		if f == "UP" {
			return true
		}
	}
	return false
}

// addrs lists the interface's global addresses as prefixes.
func (i iface) addrs() []string {
	var out []string
	for _, a := range i.AddrInfo {
		if strings.HasPrefix(a.Local, "fe80:") {
			continue
		}
		out = append(out, a.Local+"/"+strconv.Itoa(a.PrefixLen))
	}
	return out
}

// ifaces reads the interfaces of a namespace by name.
func ifaces(t *testing.T, ns string) map[string]iface {
	t.Helper()
	var list []iface
	if err := json.Unmarshal([]byte(sh(t, "ip", "-j", "-n", ns, "addr", "show")), &list); err != nil {
		t.Fatalf("ip -j -n %s addr: %v", ns, err)
	}
	out := map[string]iface{}
	for _, i := range list {
		out[i.Name] = i
	}
	return out
}

// brAddr is `ip -n NS -br addr` as a map from interface (without its
// @peer suffix) to the rest of its line.
func brAddr(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(sh(t, "ip", "-n", ns, "-br", "addr"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		name, _, _ := strings.Cut(f[0], "@")
		out[name] = strings.Join(f[1:], " ")
	}
	return out
}

// sleeper is a process left running inside a node.
type sleeper struct {
	pid  int
	mark string // its sleep argument, to tell it from a reused pid
}

// startSleeper starts `sleep` in the background inside a node via topo
// exec and returns it; cleanup kills it if it is still there.
func (l *labT) startSleeper(node string) sleeper {
	l.t.Helper()
	mark := strconv.Itoa(5000 + int(time.Now().UnixNano()%4000))
	r := l.must("exec", "--lab", l.name, node, "--", "sh", "-c", "sleep "+mark+" </dev/null >/dev/null 2>&1 & echo $!")
	pid, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		l.t.Fatalf("pid of the sleeper: %v (%q)", err, r.stdout)
	}
	s := sleeper{pid: pid, mark: mark}
	l.t.Cleanup(func() {
		if _, ok := s.netns(); ok {
			syscall.Kill(s.pid, syscall.SIGKILL)
		}
	})
	if _, ok := s.netns(); !ok {
		l.t.Fatalf("sleeper %d in %s is not running", pid, node)
	}
	return s
}

// netns returns the inode of the sleeper's network namespace and
// whether it is still alive (not gone, not a zombie, same command).
func (s sleeper) netns() (uint64, bool) {
	proc := "/proc/" + strconv.Itoa(s.pid)
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil || string(cmdline) != "sleep\x00"+s.mark+"\x00" {
		return 0, false
	}
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return 0, false
	}
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
		return 0, false
	}
	link, err := os.Readlink(proc + "/ns/net")
	if err != nil {
		return 0, false
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]"), 10, 64)
	return ino, err == nil
}

// gone reports whether the sleeper has died. SIGKILL is sent without
// waiting, so a dying process gets a few seconds to finish exiting;
// this is a bound on how long to look, not an assertion on speed.
func (s sleeper) gone() bool {
	for i := 0; i < 100; i++ {
		if _, alive := s.netns(); !alive {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
