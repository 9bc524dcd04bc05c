package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rootLinks is `ip -br link` in the root namespace, the bench's
// before/after safety check.
func rootLinks() (string, error) {
	out, err := exec.Command("ip", "-br", "link").Output()
	return string(out), err
}

func linkNames(brief string) map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(brief, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			name, _, _ := strings.Cut(f[0], "@")
			m[name] = true
		}
	}
	return m
}

// mininetLink matches the names Mininet gives the root-namespace
// objects of an lxbr run: bridges s1.., and veth ends h1-eth0, s1-eth1.
var mininetLink = regexp.MustCompile(`^(s[0-9]+|[hs][0-9]+-eth[0-9]+)$`)

// removeMininetLeftovers deletes root-namespace links that were not
// there before the bench and carry Mininet's names: they can only be
// the bench's own (topo never creates root links). It is the targeted
// part of `mn -c`; see README of the bench for why `mn -c` itself is
// not run.
func removeMininetLeftovers(before string) ([]string, error) {
	now, err := rootLinks()
	if err != nil {
		return nil, err
	}
	old := linkNames(before)
	var removed []string
	var errs []error
	for name := range linkNames(now) {
		if old[name] || !mininetLink.MatchString(name) {
			continue
		}
		if out, err := exec.Command("ip", "link", "del", name).CombinedOutput(); err != nil {
			// A veth whose peer went first is already gone.
			if !strings.Contains(string(out), "Cannot find device") {
				errs = append(errs, fmt.Errorf("ip link del %s: %s", name, strings.TrimSpace(string(out))))
			}
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}

// mininetSysctls are the root-namespace settings Mininet's fixLimits
// raises on every start and never restores. The bench puts them back
// after each Mininet run so that Mininet does not change the machine,
// and so topo's runs see the machine's own limits (the neighbour
// table thresholds are global to all namespaces).
var mininetSysctls = []string{
	"fs.file-max",
	"net.core.wmem_max",
	"net.core.rmem_max",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.core.netdev_max_backlog",
	"net.ipv4.neigh.default.gc_thresh1",
	"net.ipv4.neigh.default.gc_thresh2",
	"net.ipv4.neigh.default.gc_thresh3",
	"net.ipv4.route.max_size",
	"kernel.pty.max",
}

// mininetNeighbour is what Mininet's fixLimits sets the neighbour
// table thresholds to, for the ping loop that imitates Mininet.
var mininetNeighbour = map[string]string{
	"net.ipv4.neigh.default.gc_thresh1": "4096",
	"net.ipv4.neigh.default.gc_thresh2": "8192",
	"net.ipv4.neigh.default.gc_thresh3": "16384",
}

func writeSysctls(m map[string]string) error {
	var errs []error
	for k, v := range m {
		if err := os.WriteFile(sysctlPath(k), []byte(v), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sysctlPath(key string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
}

func readSysctls() map[string]string {
	m := map[string]string{}
	for _, k := range mininetSysctls {
		if b, err := os.ReadFile(sysctlPath(k)); err == nil {
			m[k] = strings.TrimSpace(string(b))
		}
	}
	return m
}

// restoreSysctls writes back every value that differs from saved.
func restoreSysctls(saved map[string]string) error {
	var errs []error
	now := readSysctls()
	for k, v := range saved {
		if now[k] == v {
			continue
		}
		if err := os.WriteFile(sysctlPath(k), []byte(v), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// jail is a cgroup (v2) that holds Mininet and everything it starts
// (its host shells call setsid, so a process group would not do): the
// processes left in it after mn exits are killed by pid, and nothing
// else ever is.
type jail struct{ dir string }

func newJail(name string) (*jail, error) {
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
			continue // a v1 hierarchy
		}
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			return nil, err
		}
		return &jail{dir: dir}, nil
	}
	return nil, errors.New("no cgroup v2 hierarchy")
}

// wrap makes cmd enter the jail before it executes its program.
func (j *jail) wrap(cmd *exec.Cmd) *exec.Cmd {
	if j == nil {
		return cmd
	}
	args := append([]string{"-c", `echo $$ > "$0" && exec "$@"`, filepath.Join(j.dir, "cgroup.procs")}, cmd.Args...)
	return exec.Command("/bin/sh", args...)
}

func (j *jail) pids() []int {
	b, err := os.ReadFile(filepath.Join(j.dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// empty kills, by pid, whatever Mininet left in the jail and returns
// how many.
func (j *jail) empty() int {
	if j == nil {
		return 0
	}
	killed := 0
	for try := 0; try < 50; try++ {
		pids := j.pids()
		if len(pids) == 0 {
			return killed
		}
		for _, p := range pids {
			if syscall.Kill(p, syscall.SIGKILL) == nil {
				killed++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return killed
}

func (j *jail) remove() {
	if j != nil {
		j.empty()
		os.Remove(j.dir)
	}
}

// netnsObjects is the number of network namespaces the kernel holds,
// alive or being torn down: the active objects of the net_namespace
// slab (a cache of its own, not merged). It counts the whole machine,
// so other users' namespaces move it too; within a slab or two (7
// objects each here) of per-cpu slack.
func netnsObjects() int {
	f, err := os.Open("/proc/slabinfo")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) > 1 && fl[0] == "net_namespace" {
			n, _ := strconv.Atoi(fl[1])
			return n
		}
	}
	return -1
}

// settle waits until the kernel has freed the namespaces of the last
// run (the net_namespace count is back to target or below), or until
// the count stops falling for window (someone else holds namespaces),
// at most limit. It returns how long the fall took and the count
// reached.
func settle(target int, limit, window time.Duration) (time.Duration, int) {
	start := time.Now()
	last, lastFall := netnsObjects(), time.Now()
	for {
		n := netnsObjects()
		if n < 0 || n <= target || time.Since(start) > limit {
			return time.Since(start), n
		}
		if n < last {
			last, lastFall = n, time.Now()
		}
		if time.Since(lastFall) > window {
			return lastFall.Sub(start), n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kickCleanup makes the network namespace name and deletes it at once
// (`ip netns add`, `ip netns del`): the kernel frees namespaces that
// had links only in a later run of its cleanup, which any namespace's
// end starts. Errors are ignored: the count read afterwards tells.
func kickCleanup(name string) {
	exec.Command("ip", "netns", "add", name).Run()
	exec.Command("ip", "netns", "del", name).Run()
}

// labInodes maps the nsfs inode of each namespace of the lab to its
// name, read from /run/netns before the lab goes down.
func labInodes(lab string) map[uint64]string {
	m := map[uint64]string{}
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), lab+"-") {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/run/netns", e.Name()), &st) == nil {
			m[st.Ino] = e.Name()
		}
	}
	return m
}

// holders counts what still refers to the given namespaces from user
// space: bind mounts (nsfs mounts in mountinfo) and processes whose
// network namespace or open files are one of them. Sockets cannot be
// seen from here; netnsObjects covers them.
func holders(inodes map[uint64]string) (mounts, procs int) {
	if len(inodes) == 0 {
		return 0, 0
	}
	has := func(link string) bool {
		var ino uint64
		if _, err := fmt.Sscanf(link, "net:[%d]", &ino); err != nil {
			return false
		}
		_, ok := inodes[ino]
		return ok
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 3 && has(f[3]) {
				mounts++
			}
		}
	}
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		if l, err := os.Readlink(p + "/ns/net"); err == nil && has(l) {
			procs++
			continue
		}
		fds, _ := os.ReadDir(p + "/fd")
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(p, "fd", fd.Name())); err == nil && has(l) {
				procs++
				break
			}
		}
	}
	return mounts, procs
}

// netnsWithPrefix counts `ip netns list` entries named prefix*.
func netnsWithPrefix(prefix string) int {
	ents, _ := os.ReadDir("/run/netns")
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			n++
		}
	}
	return n
}

// neighStat is the kernel's IPv4 neighbour (ARP) table, one table for
// all namespaces: entries now and the count of "table full" events;
// and the packets dropped because a CPU's input backlog was full
// (/proc/net/softnet_stat, bounded by net.core.netdev_max_backlog, also
// shared by every namespace).
type neighStat struct{ entries, fulls, backlogDrops int64 }

func neighbours() neighStat {
	var st neighStat
	if b, err := os.ReadFile("/proc/net/softnet_stat"); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(l); len(f) > 1 {
				n, _ := strconv.ParseInt(f[1], 16, 64)
				st.backlogDrops += n
			}
		}
	}
	b, err := os.ReadFile("/proc/net/stat/arp_cache")
	if err != nil {
		return neighStat{-1, -1, st.backlogDrops}
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 13 {
			continue
		}
		if i == 0 {
			st.entries, _ = strconv.ParseInt(f[0], 16, 64) // the same on every line
		}
		n, _ := strconv.ParseInt(f[12], 16, 64) // table_fulls, per CPU
		st.fulls += n
	}
	return st
}

// during describes the neighbour table around a run: entries before
// (others' labs count: the table is shared) and table-full events.
func (before neighStat) during(after neighStat) string {
	thresh := "?"
	if b, err := os.ReadFile(sysctlPath("net.ipv4.neigh.default.gc_thresh3")); err == nil {
		thresh = strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("ARP table (shared by every namespace): %d entries before, gc_thresh3 %s, %d table-full events during; %d packets dropped on full input backlogs during (netdev_max_backlog %s)",
		before.entries, thresh, after.fulls-before.fulls, after.backlogDrops-before.backlogDrops, readSysctls()["net.core.netdev_max_backlog"])
}
