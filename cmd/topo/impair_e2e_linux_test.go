package main

// End-to-end tests of link impairments: rate limits measured with a
// small Go sender and receiver (testdata/tput) run inside the lab's
// nodes through `topo exec`. Only the lab's own namespaces carry the
// test traffic. The throughput bands are measurements of the kernel's
// shaping, not timings of topo.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/link"
)

// tput builds testdata/tput for one test and returns its path.
func tput(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tput")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/tput").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/tput: %v\n%s", err, out)
	}
	// Readable and runnable inside the lab's nodes (another mount
	// namespace, same files).
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// measure sends TCP from node `from` to addr (in node `to`) for about
// three seconds and returns the receiver's goodput in Mbit/s.
func (l *labT) measure(bin, from, to, addr string) float64 {
	l.T.Helper()
	recv := exec.Command(e2e.Bin(), "exec", "--lab", l.Name, to, "--", bin, "recv", addr+":5201")
	recv.Env = append(os.Environ(), "TOPO_STATE_DIR="+l.StateDir)
	stdout, err := recv.StdoutPipe()
	if err != nil {
		l.T.Fatal(err)
	}
	var stderr strings.Builder
	recv.Stderr = &stderr
	if err := recv.Start(); err != nil {
		l.T.Fatal(err)
	}
	defer recv.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		recv.Wait()
		l.T.Fatalf("receiver in %s did not start: %s", to, stderr.String())
	}
	l.Must("exec", "--lab", l.Name, from, "--", bin, "send", addr+":5201", "3s")
	if !lines.Scan() {
		recv.Wait()
		l.T.Fatalf("receiver in %s printed no e2e.Result: %s", to, stderr.String())
	}
	f := strings.Fields(lines.Text())
	if err := recv.Wait(); err != nil || len(f) != 2 {
		l.T.Fatalf("receiver in %s: %v, output %q, stderr %s", to, err, lines.Text(), stderr.String())
	}
	n, err1 := strconv.ParseFloat(f[0], 64)
	secs, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || secs <= 0 {
		l.T.Fatalf("receiver e2e.Result %q", lines.Text())
	}
	return n * 8 / secs / 1e6
}

// wantBand fails unless lo <= got <= hi (Mbit/s).
func wantBand(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	t.Logf("%s: %.2f Mbit/s", what, got)
	if got < lo || got > hi {
		t.Errorf("%s: measured %.2f Mbit/s, want %.1f-%.1f", what, got, lo, hi)
	}
}

// impairOf is the impairment `topo status --json` shows for node:iface.
func (l *labT) impairOf(node, iface string) string {
	l.T.Helper()
	var all []*lab.LabStatus
	r := l.Must("status", "--json", l.Name)
	if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil || len(all) != 1 {
		l.T.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	for _, n := range all[0].Nodes {
		for _, i := range n.Ifaces {
			if n.Name == node && i.Name == iface {
				return i.Impair
			}
		}
	}
	l.T.Fatalf("status has no %s:%s", node, iface)
	return ""
}

const slowBody = `hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.77.61.1/24, 10.77.61.2/24]
`

func TestE2EImpairRate(t *testing.T) {
	l := newLab(t, "rate", slowBody+"    rate: 10mbit\n")
	bin := tput(t)
	l.Up()
	for _, n := range []string{"h1", "h2"} {
		if got := l.impairOf(n, "eth0"); got != "rate 10mbit" {
			t.Errorf("status: %s:eth0 impair %q, want rate 10mbit", n, got)
		}
	}
	if steps := l.Up(); len(steps) != 0 {
		t.Errorf("a second up plans %v, want nothing (the kernel's read-back must equal the file)", steps)
	}
	wantBand(t, "rate 10mbit", l.measure(bin, "h1", "h2", "10.77.61.2"), 9.0, 10.5)

	inodes := map[string]uint64{"h1": testns.Inode(t, l.NS("h1")), "h2": testns.Inode(t, l.NS("h2"))}
	r := l.Must("impair", "--lab", l.Name, "h1:eth0", "--rate", "2mbit")
	if !strings.Contains(r.Stdout, "h1:eth0: impair rate 2mbit") {
		t.Errorf("topo impair said %q", r.Stdout)
	}
	wantBand(t, "after topo impair --rate 2mbit", l.measure(bin, "h1", "h2", "10.77.61.2"), 1.8, 2.1)
	for n, ino := range inodes {
		if got := testns.Inode(t, l.NS(n)); got != ino {
			t.Errorf("topo impair replaced %s's namespace (inode %d -> %d)", n, ino, got)
		}
	}
	if got := l.impairOf("h1", "eth0"); got != "rate 2mbit" {
		t.Errorf("status after topo impair: h1:eth0 impair %q, want rate 2mbit", got)
	}
	if got := l.impairOf("h2", "eth0"); got != "rate 10mbit" {
		t.Errorf("status after topo impair: h2:eth0 impair %q, want rate 10mbit (untouched)", got)
	}

	// The command line applies the file's rules.
	for _, bad := range [][]string{{"--jitter", "5ms"}, {"--loss", "150%"}, {"--rate", "10furlongs"}, {"--delay", "-1ms"}} {
		if r := l.Topo(append([]string{"impair", "--lab", l.Name, "h1:eth0"}, bad...)...); r.Code == 0 {
			t.Errorf("impair %v was accepted", bad)
		} else {
			t.Logf("impair %v: %s", bad, strings.TrimSpace(r.Stderr))
		}
	}
	// up on the file restores it, on the changed end only.
	e2e.SameSteps(t, "up after topo impair", l.Up(), []string{"~ h1:eth0 impair rate 10mbit"})
	// A changed rate plans exactly set-impair for both ends.
	l.Write(slowBody + "    rate: 5mbit\n")
	e2e.SameSteps(t, "up with a new rate", l.Up(), []string{"~ h1:eth0 impair rate 5mbit", "~ h2:eth0 impair rate 5mbit"})
	// Removing the fields removes the qdiscs.
	l.Write(slowBody)
	e2e.SameSteps(t, "up without the rate", l.Up(), []string{"~ h1:eth0 impair none", "~ h2:eth0 impair none"})
	for _, n := range []string{"h1", "h2"} {
		if got := l.impairOf(n, "eth0"); got != "" {
			t.Errorf("%s:eth0 still shows impair %q", n, got)
		}
		if _, err := exec.LookPath("tc"); err == nil {
			if out := e2e.Sh(t, "ip", "netns", "exec", l.NS(n), "tc", "qdisc", "show", "dev", "eth0"); !strings.Contains(out, "noqueue") {
				t.Errorf("%s:eth0 qdiscs after removing the rate:\n%s", n, out)
			}
		}
	}
	if steps := l.Up(); len(steps) != 0 {
		t.Errorf("up again plans %v, want nothing", steps)
	}
	// --clear on a clean end is a no-op that succeeds.
	l.Must("impair", "--lab", l.Name, "h2:eth0", "--clear")
}

func TestE2EImpairNetemRefused(t *testing.T) {
	if s := link.DetectNetem(); s.Present {
		t.Skipf("skipped: this kernel has netem (%s)", s.Reason)
	}
	l := newLab(t, "nonetem", slowBody+"    rate: 10mbit\n    delay: 20ms\n")
	want := fmt.Sprintf("lab %s asks for delay on h1:eth0 (%s:9:5), but this kernel has no netem qdisc (sch_netem): rate limits work, delay/jitter/loss/corrupt/duplicate/reorder need netem", l.Name, l.File)
	r := l.Topo("up", l.File)
	if r.Code == 0 || strings.TrimSpace(r.Stderr) != "topo: "+want {
		t.Errorf("up: %v\nwant the one sentence: %s", r, want)
	}
	if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
		t.Errorf("a refused up made namespaces: %v", left)
	}
	stateDirEmpty(t, l.StateDir)
	if r := l.Topo("validate", l.File); r.Code == 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("validate: %v\nwant: %s", r, want)
	}
	// Live, on a lab that is up: refused, the rate stays.
	l.Write(slowBody + "    rate: 10mbit\n")
	l.Up()
	r = l.Topo("impair", "--lab", l.Name, "h1:eth0", "--loss", "1%")
	if r.Code == 0 || !strings.Contains(r.Stderr, "no netem qdisc (sch_netem)") {
		t.Errorf("impair --loss: %v", r)
	}
	if got := l.impairOf("h1", "eth0"); got != "rate 10mbit" {
		t.Errorf("after a refused impair: %q, want rate 10mbit", got)
	}
}

func TestE2EImpairInvalid(t *testing.T) {
	e2e.NeedBinary(t)
	dir := t.TempDir()
	for _, c := range []struct {
		desc, field, msg string
		col              int // on line 8: the value, or the key when the field is wrong to be there
	}{
		{"negative rate", "rate: -1mbit", "must be positive", 11},
		{"loss 150%", "loss: 150%", "not between 0% and 100%", 11},
		{"unknown unit", "rate: 10 furlongs", "no unit", 11},
		{"jitter without delay", "jitter: 5ms", "jitter without delay", 5},
		{"negative delay", "delay: -1ms", "negative", 12},
	} {
		t.Run(c.desc, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(c.desc, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte("name: inv\n"+slowBody+"    "+c.field+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := e2e.Run(t, t.TempDir(), nil, "validate", file)
			at := fmt.Sprintf("%s:8:%d: ", file, c.col)
			if r.Code == 0 || !strings.Contains(r.Stderr, at) || !strings.Contains(r.Stderr, c.msg) {
				t.Errorf("%v\nwant %s... %s", r, at, c.msg)
			}
		})
	}
}
