package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/topo-lab/topo/bench/internal/genfile"
)

// bench holds what every measurement needs and what the cleanup must
// undo.
type bench struct {
	topo, floor string
	id          string // unique prefix of every lab and namespace
	runs        int
	slabStart   int // kernel network namespaces when the bench started
	loopRuns    int
	work        string
	r           *runner
	jail        *jail
	linksBefore string
	sysctls     map[string]string
	labs        map[string]bool // labs that may be up
	problems    []string        // safety findings, printed and failing the run
	errors      []string        // measurements that could not be made
	findings    []string        // what the measurements found wrong (pairs that failed)
	say         func(format string, a ...any)
	captureOnly bool // only the capture comparison (-capture-only)
	captureSecs int  // seconds of iperf3 per capture run
	probeOnly   bool // only topo check against the ICMP floor (-probe-only)
	reachOnly   bool // only all pairs: Mininet's pingall, the ping loop, the ICMP floor (-reach-only)
	huge        bool // also 10,648 hosts at scale (-huge)
}

func (b *bench) problem(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.problems = append(b.problems, msg)
	b.say("SAFETY: %s", msg)
}

func (b *bench) finding(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.findings = append(b.findings, msg)
	b.say("FINDING: %s", msg)
}

func (b *bench) fail(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.errors = append(b.errors, msg)
	b.say("ERROR: %s", msg)
}

// gen writes `topo gen KIND ARGS --name LAB` to a file, plus expect
// lines when given, and returns the path.
func (b *bench) gen(lab string, expect []string, kind string, args ...string) (string, *genfile.Lab, error) {
	argv := append(append([]string{"gen", kind}, args...), "--name", lab)
	b.r.note("topo " + strings.Join(argv, " ") + " > " + lab + ".yaml")
	out, err := exec.Command(b.topo, argv...).Output()
	if err != nil {
		return "", nil, fmt.Errorf("topo %s: %w", strings.Join(argv, " "), err)
	}
	if len(expect) > 0 {
		out = append(out, []byte("expect:\n"+strings.Join(expect, ""))...)
	}
	path := filepath.Join(b.work, lab+".yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return "", nil, err
	}
	l, err := genfile.Load(path)
	return path, l, err
}

func (b *bench) up(path, lab string) result {
	b.labs[lab] = true
	return b.r.run("topo up "+lab+".yaml", nil, b.topo, "up", path)
}

func (b *bench) down(lab string) result {
	res := b.r.run("topo down "+lab, nil, b.topo, "down", lab)
	if res.err == nil {
		delete(b.labs, lab)
	}
	return res
}

// downAll takes down every lab the bench may have left up.
func (b *bench) downAll() {
	for lab := range b.labs {
		if out, err := exec.Command(b.topo, "down", lab).CombinedOutput(); err != nil {
			b.problem("topo down %s: %v: %s", lab, err, strings.TrimSpace(string(out)))
			continue
		}
		delete(b.labs, lab)
	}
}

// mininet runs mn once, inside the jail, and then makes sure nothing
// of it is left: processes, root-namespace links, raised sysctls.
func (b *bench) mininet(topo, test string) result {
	args := []string{"--switch", "lxbr", "--controller", "none", "--topo", topo, "--test", test}
	res := b.r.run("mn "+strings.Join(args, " "), b.jail.wrap, "mn", args...)
	if res.err == nil && !strings.Contains(res.out, "*** Done") {
		res.err = fmt.Errorf("mn %s: no '*** Done' in its output", strings.Join(args, " "))
	}
	if n := b.jail.empty(); n > 0 {
		b.say("  (killed %d processes Mininet left in its cgroup)", n)
	}
	removed, err := removeMininetLeftovers(b.linksBefore)
	if len(removed) > 0 {
		b.problem("Mininet left %d links in the root namespace (removed): %s", len(removed), strings.Join(removed, " "))
	}
	if err != nil {
		b.problem("removing Mininet's leftover links: %v", err)
	}
	if err := restoreSysctls(b.sysctls); err != nil {
		b.problem("restoring the sysctls Mininet raised: %v", err)
	}
	return res
}

var (
	receivedRe = regexp.MustCompile(`\((\d+)/(\d+) received\)`)
	expectRe   = regexp.MustCompile(`Expectations: (\d+) of (\d+) hold`)
	upSummary  = regexp.MustCompile(`\(([^()]*to create[^()]*)\)`)
)

// received parses "(ok/total received)" from Mininet's or topo's
// pingall-style result line, or topo's "Expectations: ok of total
// hold".
func received(out string) (ok, total int, found bool) {
	m := receivedRe.FindStringSubmatch(out)
	if m == nil {
		m = expectRe.FindStringSubmatch(out)
	}
	if m == nil {
		return 0, 0, false
	}
	ok, _ = strconv.Atoi(m[1])
	total, _ = strconv.Atoi(m[2])
	return ok, total, true
}

// pingLoop is Mininet's method from outside: one `ip netns exec SRC
// ping -c1 -W1 DST` per ordered pair of hosts (to every address of the
// target: the pairs topo check probes), one after the other.
// It runs with Mininet's neighbour table thresholds (restored after):
// with the kernel's default gc_thresh3 of 1024, the 4,032 entries of
// 64 hosts overflow the table, pairs fail and each costs a 1 s
// timeout, which would measure the table and not the method.
func (b *bench) pingLoop(lab string, l *genfile.Lab) (time.Duration, int, int) {
	addrs := l.Addrs()
	b.r.note(fmt.Sprintf("sysctl %s (Mininet's values, restored after the loop)", strings.Join(sortedKV(mininetNeighbour), " ")))
	b.r.note(fmt.Sprintf("for every host X and every address A of every other host: ip netns exec %s-X ping -c1 -W1 A   (one after the other)", lab))
	if err := writeSysctls(mininetNeighbour); err != nil {
		b.problem("raising the neighbour thresholds for the ping loop: %v", err)
	}
	defer func() {
		if err := restoreSysctls(b.sysctls); err != nil {
			b.problem("restoring the neighbour thresholds: %v", err)
		}
	}()
	start := time.Now()
	ok, total := 0, 0
	for _, src := range l.Hosts {
		for _, dst := range l.Hosts {
			if src == dst {
				continue
			}
			for _, a := range addrs[dst] {
				total++
				cmd := exec.Command("ip", "netns", "exec", lab+"-"+src, "ping", "-c1", "-W1", a.String())
				if cmd.Run() == nil {
					ok++
				}
			}
		}
	}
	return time.Since(start), ok, total
}

// samplePairs returns n distinct random ordered pairs of hosts as
// expect: lines, from a fixed seed so every run checks the same pairs.
func samplePairs(hosts []string, n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[[2]int]bool{}
	var lines []string
	for len(lines) < n && len(seen) < len(hosts)*(len(hosts)-1) {
		a, z := rng.IntN(len(hosts)), rng.IntN(len(hosts))
		if a == z || seen[[2]int{a, z}] {
			continue
		}
		seen[[2]int{a, z}] = true
		lines = append(lines, fmt.Sprintf("  - {from: %s, to: %s}\n", hosts[a], hosts[z]))
	}
	return lines
}

// settleAfter waits for the kernel to free what the last run made.
func (b *bench) settleAfter(base int) {
	if d, n := settle(base+14, 120*time.Second, 3*time.Second); d > 5*time.Second {
		b.say("  (waited %.1fs for the kernel to free namespaces; %d held, %d before)", d.Seconds(), n, base)
	}
}

func sortedKV(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
