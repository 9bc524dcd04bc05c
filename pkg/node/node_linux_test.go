package node

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/testns"
)

// TestMain fails the run when the tests leave in the root namespace a
// link into one of their namespaces.
func TestMain(m *testing.M) { testns.Main(m, testns.Prefix()) }

func needRoot(t *testing.T) {
	t.Helper()
	testns.NeedRoot(t, "creates network namespaces")
}

// newNS creates a namespace removed (with its processes) at cleanup.
func newNS(t *testing.T, suffix string, opts ...CreateOptions) (*Namespace, uint64) {
	t.Helper()
	name := testns.Name(suffix)
	var o CreateOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ns, err := Create(name, o)
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	ino := ns.Inode
	t.Cleanup(func() {
		ns.Close()
		KillProcesses(map[uint64]bool{ino: true})
		if err := Delete(name); err != nil {
			t.Errorf("Delete(%s): %v", name, err)
		}
	})
	return ns, ino
}

func TestCreateInodeDelete(t *testing.T) {
	needRoot(t)
	ns, ino := newNS(t, "c")
	got, err := Inode(ns.Name)
	if err != nil || got != ino || ino == 0 {
		t.Fatalf("Inode = %d, %v; Create gave %d", got, err, ino)
	}
	lo, err := ns.NL.LinkByName("lo")
	if err != nil || lo.Attrs().Flags&1 == 0 {
		t.Fatalf("lo not up in new namespace: %v %v", lo, err)
	}
	if fi, err := os.Stat("/proc/self/ns/net"); err != nil || fi.Sys().(*syscall.Stat_t).Ino == ino {
		t.Fatalf("new namespace has the root namespace's inode (%v)", err)
	}
	if err := Delete(ns.Name); err != nil {
		t.Fatal(err)
	}
	if err := Delete(ns.Name); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := Inode(ns.Name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Inode after Delete = %v, want fs.ErrNotExist", err)
	}
}

func TestCreateWithOptions(t *testing.T) {
	needRoot(t)
	rootBefore, _ := os.ReadFile("/proc/sys/net/ipv4/icmp_echo_ignore_all")
	ns, _ := newNS(t, "o", CreateOptions{Sysctls: []Sysctl{
		{Key: "net.ipv6.conf.default.accept_dad", Value: "0"},
		{Key: "net.ipv4.icmp_echo_ignore_all", Value: "1"},
		{Key: "net.ipv4.no_such_setting_for_topo", Value: "1", Optional: true},
	}})
	if rootAfter, _ := os.ReadFile("/proc/sys/net/ipv4/icmp_echo_ignore_all"); !bytes.Equal(rootAfter, rootBefore) {
		t.Fatalf("root namespace's icmp_echo_ignore_all changed: %q -> %q", rootBefore, rootAfter)
	}
	if got, err := Inode(ns.Name); err != nil || got != ns.Inode {
		t.Fatalf("Inode = %d, %v; Create gave %d", got, err, ns.Inode)
	}
	got, err := ReadSysctls(ns, []string{"net.ipv6.conf.default.accept_dad", "net.ipv4.icmp_echo_ignore_all"})
	if err != nil || got["net.ipv6.conf.default.accept_dad"] != "0" || got["net.ipv4.icmp_echo_ignore_all"] != "1" {
		t.Fatalf("sysctls in the new namespace = %v, %v", got, err)
	}

	// A bad sysctl is refused before anything is made.
	name := testns.Name("u")
	if _, err := Create(name, CreateOptions{Sysctls: []Sysctl{{Key: "kernel.hostname", Value: "x"}}}); err == nil {
		t.Fatal("Create with a non-net sysctl succeeded")
	}
	if _, err := os.Stat(filepath.Join(NetnsDir, name)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused Create left %s (%v)", name, err)
	}
	// A sysctl the kernel lacks, not optional: an error, nothing left.
	_, err = Create(name, CreateOptions{Sysctls: []Sysctl{{Key: "net.ipv4.no_such_setting_for_topo", Value: "1"}}})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Create with a missing sysctl = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(NetnsDir, name)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed Create left %s (%v)", name, err)
	}
}

func TestCreateExistingIsNotAdopted(t *testing.T) {
	needRoot(t)
	name := testns.Name("x")
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	before, err := Inode(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(name, CreateOptions{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create on existing = %v, want fs.ErrExist", err)
	}
	after, err := Inode(name)
	if err != nil || after != before {
		t.Fatalf("existing namespace touched: inode %d -> %d (%v)", before, after, err)
	}
}

func TestInodeOfPlainFile(t *testing.T) {
	needRoot(t)
	if err := prepareNetnsDir(); err != nil {
		t.Fatal(err)
	}
	name := testns.Name("f")
	p := filepath.Join(NetnsDir, name)
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(p) })
	if _, err := Inode(name); err == nil || !strings.Contains(err.Error(), "no namespace is mounted") {
		t.Fatalf("Inode of plain file = %v", err)
	}
	if err := Delete(name); err != nil {
		t.Fatalf("Delete of plain file: %v", err)
	}
}

func TestInvalidName(t *testing.T) {
	for _, n := range []string{"", "..", "a/b", "../x"} {
		if _, err := Create(n, CreateOptions{}); err == nil {
			t.Errorf("Create(%q) succeeded", n)
		}
		if err := Delete(n); err == nil {
			t.Errorf("Delete(%q) succeeded", n)
		}
	}
}

func run(t *testing.T, spec ExecSpec) (string, int) {
	t.Helper()
	var out bytes.Buffer
	spec.Stdout, spec.Stderr = &out, &out
	code, err := Run(spec)
	if err != nil {
		t.Fatalf("Run(%v): %v", spec.Args, err)
	}
	return out.String(), code
}

// netnsFile opens a namespace for ExecSpec.Netns, closed at cleanup.
func netnsFile(t *testing.T, name string) *os.File {
	t.Helper()
	f, _, err := OpenNetns(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestExec(t *testing.T) {
	needRoot(t)
	ns, ino := newNS(t, "e")
	nsFile := netnsFile(t, ns.Name)
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := CreateUTS(d, "uts", "h-exec"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := DeleteUTS(d, "uts"); err != nil {
			t.Error(err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "uts")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("DeleteUTS left %s/uts: %v", dir, err)
		}
	})
	uts, err := OpenUTS(d, "uts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uts.Close() })
	if err := CreateUTS(d, "uts", "again"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("CreateUTS twice = %v, want fs.ErrExist", err)
	}
	hostsPath := filepath.Join(dir, "hosts")
	os.WriteFile(hostsPath, []byte("10.9.9.9 peer-"+ns.Name+"\n"), 0o644)
	if _, err := OpenUTS(d, "hosts"); !errors.Is(err, ErrNotMounted) {
		t.Fatalf("OpenUTS of a plain file = %v, want ErrNotMounted", err)
	}
	hosts, err := os.Open(hostsPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Close() })
	myHost, _ := os.Hostname()

	t.Run("exit status", func(t *testing.T) {
		if _, code := run(t, ExecSpec{Netns: nsFile, Args: []string{"sh", "-c", "exit 3"}}); code != 3 {
			t.Fatalf("exit code %d, want 3", code)
		}
	})
	t.Run("env and dir", func(t *testing.T) {
		out, _ := run(t, ExecSpec{Netns: nsFile, Dir: dir, Env: []string{"PATH=/usr/bin:/bin", "TK=yes"},
			Args: []string{"sh", "-c", "echo $TK $(pwd)"}})
		if strings.TrimSpace(out) != "yes "+dir {
			t.Fatalf("got %q", out)
		}
	})
	t.Run("netns", func(t *testing.T) {
		out, _ := run(t, ExecSpec{Netns: nsFile, Args: []string{"readlink", "/proc/self/ns/net"}})
		if want := fmt.Sprintf("net:[%d]", ino); strings.TrimSpace(out) != want {
			t.Fatalf("child in %q, want %s", out, want)
		}
		out, _ = run(t, ExecSpec{Netns: nsFile, Args: []string{"ls", "/sys/class/net"}})
		if strings.TrimSpace(out) != "lo" {
			t.Errorf("/sys/class/net in child = %q, want just lo", out)
		}
	})
	t.Run("hostname", func(t *testing.T) {
		out, _ := run(t, ExecSpec{Netns: nsFile, UTS: uts, Args: []string{"hostname"}})
		if strings.TrimSpace(out) != "h-exec" {
			t.Fatalf("hostname %q", out)
		}
		if h, _ := os.Hostname(); h != myHost {
			t.Fatalf("our hostname changed: %q -> %q", myHost, h)
		}
	})
	t.Run("hosts", func(t *testing.T) {
		out, _ := run(t, ExecSpec{Netns: nsFile, Hosts: hosts, Args: []string{"getent", "hosts", "peer-" + ns.Name}})
		if !strings.HasPrefix(out, "10.9.9.9") {
			t.Fatalf("getent: %q", out)
		}
		if b, _ := os.ReadFile("/etc/hosts"); bytes.Contains(b, []byte("peer-"+ns.Name)) {
			t.Fatal("hosts bind leaked into our mount namespace")
		}
	})
	t.Run("bad netns", func(t *testing.T) {
		if _, _, err := OpenNetns(ns.Name + "-nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("OpenNetns of a missing namespace = %v, want fs.ErrNotExist", err)
		}
		if _, err := Start(ExecSpec{Netns: hosts, Args: []string{"true"}}); err == nil {
			t.Fatal("Start in a file that is no namespace succeeded")
		}
	})
	t.Run("kill", func(t *testing.T) {
		cmd, err := Start(ExecSpec{Netns: nsFile, Args: []string{"sleep", "100"}})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		pids, err := Processes(map[uint64]bool{ino: true})
		if err != nil || !slices.Contains(pids, cmd.Process.Pid) {
			t.Fatalf("Processes = %v, %v; want %d", pids, err, cmd.Process.Pid)
		}
		n, err := KillProcesses(map[uint64]bool{ino: true})
		if err != nil || n != 1 {
			t.Fatalf("KillProcesses = %d, %v", n, err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("sleep survived SIGKILL")
		}
		if cmd.ProcessState.Success() {
			t.Fatal("sleep exited successfully")
		}
	})
}

// TestUTSNoSymlinks: the UTS namespace functions never follow a
// symbolic link planted in their directory: CreateUTS refuses the name,
// OpenUTS refuses to open it, and DeleteUTS removes the link and leaves
// what it points at (here a mounted UTS namespace) alone.
func TestUTSNoSymlinks(t *testing.T) {
	needRoot(t)
	dir, other := t.TempDir(), t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	o, err := os.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := CreateUTS(o, "real", "real"); err != nil {
		t.Fatal(err)
	}
	defer DeleteUTS(o, "real")
	target := filepath.Join(other, "real")
	for _, name := range []string{"link", "dangling"} {
		to := target
		if name == "dangling" {
			to = filepath.Join(other, "nothing")
		}
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if err := CreateUTS(d, name, "x"); err == nil {
			t.Errorf("CreateUTS over a symbolic link %s succeeded", name)
		}
		if f, err := OpenUTS(d, name); err == nil {
			f.Close()
			t.Errorf("OpenUTS followed the symbolic link %s", name)
		}
		if err := DeleteUTS(d, name); err != nil {
			t.Errorf("DeleteUTS of the symbolic link %s: %v", name, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("DeleteUTS left the symbolic link %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(other, "nothing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CreateUTS made the target of a dangling link: %v", err)
	}
	f, err := OpenUTS(o, "real")
	if err != nil {
		t.Fatalf("the namespace a link pointed at is gone: %v", err)
	}
	f.Close()
}

func TestSysctl(t *testing.T) {
	needRoot(t)
	ns, _ := newNS(t, "s")
	rootBefore, _ := os.ReadFile("/proc/sys/net/ipv4/icmp_echo_ignore_all")
	keys := []string{"net.ipv4.ip_forward", "net.ipv4.icmp_echo_ignore_all", "net.ipv6.conf.all.forwarding"}
	for _, k := range keys[:2] {
		if err := WriteSysctl(ns, k, "1"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadSysctls(ns, keys)
	if err != nil {
		t.Fatal(err)
	}
	if got[keys[0]] != "1" || got[keys[1]] != "1" || got[keys[2]] != "0" {
		t.Fatalf("ReadSysctls = %v", got)
	}
	if rootAfter, _ := os.ReadFile("/proc/sys/net/ipv4/icmp_echo_ignore_all"); !bytes.Equal(rootBefore, rootAfter) {
		t.Fatal("sysctl leaked into the root namespace")
	}
	if _, err := ReadSysctls(ns, []string{"net.ipv4.no_such_thing"}); !errors.Is(err, fs.ErrNotExist) ||
		!strings.Contains(err.Error(), "no sysctl") {
		t.Fatalf("missing key: %v", err)
	}
	if got, err := ReadPresentSysctls(ns, []string{"net.ipv4.no_such_thing", keys[0]}); err != nil || len(got) != 1 || got[keys[0]] != "1" {
		t.Fatalf("ReadPresentSysctls with a missing key = %v, %v; want only %s", got, err, keys[0])
	}
	for _, k := range []string{"kernel.hostname", "net.../x", "net.ipv4/../x", "net.ipv4.IP", "net.a b"} {
		if err := WriteSysctl(ns, k, "1"); err == nil {
			t.Errorf("WriteSysctl(%q) accepted", k)
		}
	}
}
