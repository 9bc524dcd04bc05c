package main

// topo capture over a lab's life: Ctrl-C in the middle of traffic,
// interfaces and nodes that come and go, the lab taken down.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
)

// TestCaptureInterruptValid stops a capture with Ctrl-C while h1
// floods h2 with pings: the file is whole (gopacket reads it to its
// end; tcpdump and tshark read it without complaint) and the counts
// are printed.
func TestCaptureInterruptValid(t *testing.T) {
	l := arpWatch(t, "cap-int")
	file := filepath.Join(t.TempDir(), "flood.pcapng")
	p := l.Start("capture", "--lab", l.Name, "h1", "h2", "-w", file)
	p.WaitOutput(t, "listening on")
	flood := topoCmd(l, "exec", "--lab", l.Name, "h1", "--", "ping", "-f", "-w", "60", "10.10.10.100")
	if err := flood.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { flood.Process.Kill(); flood.Wait() })
	// Interrupt once the file holds a good part of the traffic.
	if !e2e.Eventually(func() bool { fi, err := os.Stat(file); return err == nil && fi.Size() > 4<<20 }) {
		t.Fatal("the capture file never grew past 4 MiB")
	}
	p.Cmd.Process.Signal(os.Interrupt)
	r := p.Wait()
	if r.Code != 0 || !strings.Contains(r.Stderr, "dropped") {
		t.Fatalf("capture: %v", r)
	}
	frames := readPcapngFile(t, file)
	if len(frames) < 1000 {
		t.Errorf("only %d frames in the file", len(frames))
	}
	inTimeOrder(t, frames)
	t.Run("tshark", func(t *testing.T) {
		out := readerTool(t, "tshark", "-r", file, "-T", "fields", "-e", "frame.number")
		if n := strings.Count(out, "\n"); n != len(frames) {
			t.Errorf("tshark read %d frames, gopacket %d", n, len(frames))
		}
	})
	t.Run("tcpdump", func(t *testing.T) {
		out := readerTool(t, "tcpdump", "-r", file, "-n", "-q")
		if n := strings.Count(out, "\n"); n != len(frames) {
			t.Errorf("tcpdump read %d frames, gopacket %d", n, len(frames))
		}
	})
}

// TestCaptureInterfacesComeAndGo captures all of h1 while `up` adds a
// link to it and later removes it: the new interface is captured as
// soon as it appears, its stream ends with a note when it goes, and the
// rest of the capture goes on.
func TestCaptureInterfacesComeAndGo(t *testing.T) {
	l := arpWatch(t, "cap-life")
	small, big := l.File, withH3(t, l)
	p := l.Start("capture", "--lab", l.Name, "h1", "icmp")
	p.WaitOutput(t, "listening on h1:eth0,")
	l.Must("up", big)
	p.WaitOutput(t, "h1:eth1: capturing (it appeared)")
	l.Must("exec", "--lab", l.Name, "h1", "--", "ping", "-c1", "-w10", "-i0.2", "10.10.11.3")
	l.Must("up", small)
	p.WaitOutput(t, "h1:eth1: the interface is gone")
	pingOnce(t, l)
	p.Cmd.Process.Signal(os.Interrupt)
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("capture: %v", r)
	}
	for _, want := range []string{
		"h1:eth1 > ICMP  10.10.11.1 > 10.10.11.3 echo request",
		"h1:eth1 < ICMP  10.10.11.3 > 10.10.11.1 echo reply",
		"h1:eth0 > ICMP  10.10.10.10 > 10.10.10.100 echo request",
		"h1:eth0 < ICMP  10.10.10.100 > 10.10.10.10 echo reply",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("no line with %q:\n%s", want, r.Stdout)
		}
	}
	if !strings.Contains(r.Stderr, "h1:eth1 (gone)") {
		t.Errorf("the summary does not say h1:eth1 went:\n%s", r.Stderr)
	}
}

// withH3 writes the lab's file with a third host, h3, linked to h1
// (h1:eth1 10.10.11.1, h3:eth0 10.10.11.3), and returns its path.
func withH3(t *testing.T, l *labT) string {
	t.Helper()
	big := filepath.Join(l.Dir, "big.yaml")
	body := strings.Replace(mustRead(t, l.File), "links:\n", "  h3: {}\nlinks:\n  - endpoints: [h1:eth1, h3:eth0]\n    addresses: [10.10.11.1/24, 10.10.11.3/24]\n", 1)
	if err := os.WriteFile(big, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return big
}

// TestCaptureAllNewNode: with --all, a host that `up` adds to the lab
// during the capture is captured too.
func TestCaptureAllNewNode(t *testing.T) {
	l := arpWatch(t, "cap-join")
	p := l.Start("capture", "--lab", l.Name, "--all", "icmp")
	p.WaitOutput(t, "listening on h1:eth0, h2:eth0,")
	l.Must("up", withH3(t, l))
	p.WaitOutput(t, "h3:eth0: capturing (it appeared)")
	l.Must("exec", "--lab", l.Name, "h3", "--", "ping", "-c1", "-w10", "-i0.2", "10.10.11.1")
	p.Cmd.Process.Signal(os.Interrupt)
	r := p.Wait()
	for _, want := range []string{
		"h3:eth0 > ICMP  10.10.11.3 > 10.10.11.1 echo request",
		"h1:eth1 < ICMP  10.10.11.3 > 10.10.11.1 echo request",
		"h1:eth1 > ICMP  10.10.11.1 > 10.10.11.3 echo reply",
		"h3:eth0 < ICMP  10.10.11.1 > 10.10.11.3 echo reply",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("no line with %q:\n%v", want, r)
		}
	}
}

// TestCaptureNodeRecreated: a node whose namespace is deleted by hand
// ends its streams (the capture must not keep the namespace alive),
// and once `up` makes it again it is captured again.
func TestCaptureNodeRecreated(t *testing.T) {
	l := arpWatch(t, "cap-node")
	p := l.Start("capture", "--lab", l.Name, "h2", "icmp")
	p.WaitOutput(t, "listening on h2:eth0")
	e2e.Sh(t, "ip", "netns", "del", l.NS("h2"))
	p.WaitOutput(t, "node h2: its namespace is gone")
	l.Must("up", l.File)
	p.WaitOutput(t, "h2:eth0: capturing (it appeared)")
	pingOnce(t, l)
	p.Cmd.Process.Signal(os.Interrupt)
	r := p.Wait()
	if r.Code != 0 || !strings.Contains(r.Stdout, "h2:eth0 < ICMP  10.10.10.10 > 10.10.10.100 echo request") {
		t.Fatalf("capture after the node came back:\n%v", r)
	}
}

// TestCaptureLabDown: `topo down` ends a capture of the lab by itself,
// with its counts, and leaves nothing of the lab behind (cleanup checks
// the namespaces are gone).
func TestCaptureLabDown(t *testing.T) {
	l := arpWatch(t, "cap-down")
	p := l.Start("capture", "--lab", l.Name, "h1", "h2")
	p.WaitOutput(t, "listening on")
	l.Must("down", l.Name)
	r := p.Wait()
	if r.Code != 0 || !strings.Contains(r.Stderr, "is down: the capture ends") || !strings.Contains(r.Stderr, "total") {
		t.Fatalf("capture during down:\n%v", r)
	}
}

// TestCaptureErrors: a lab that is not up, an unknown node or
// interface, a bad filter: one clear line each (the filter's with its
// column), exit status 2, nothing captured.
func TestCaptureErrors(t *testing.T) {
	l := arpWatch(t, "cap-err")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--lab", "nosuch", "h1"}, []string{"topo: lab nosuch is not up"}},
		{[]string{"h9"}, []string{`topo: lab ` + l.Name + ` has no node "h9" (nodes: h1, h2)`}},
		{[]string{"h9", "h1:eth7"}, []string{`no node "h9"`, `topo: node h1 has no interface "eth7" (interfaces: eth0)`}},
		{[]string{"link:h2:eth3"}, []string{"has no link with end h2:eth3"}},
		{[]string{"h1", "arp", "andd", "icmp"}, []string{"topo: invalid filter at column 5: unknown word \"andd\" (did you mean \"and\"?)", "      allowed here:"}},
		{[]string{"h1", "port", "http"}, []string{`"port" needs a port number`}},
		{nil, []string{"topo: name what to capture"}},
	} {
		args := append([]string{"capture"}, tc.args...)
		if tc.args == nil || tc.args[0] != "--lab" {
			args = append([]string{"capture", "--lab", l.Name}, tc.args...)
		}
		r := l.Topo(args...)
		if r.Code != 2 || r.Stdout != "" {
			t.Errorf("%v: want exit 2 and no output:\n%v", tc.args, r)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, r.Stderr)
			}
		}
		if n := strings.Count(r.Stderr, "topo: "); n != len(tc.want) && !strings.Contains(r.Stderr, "filter") {
			t.Errorf("%v: %d error lines, want %d:\n%s", tc.args, n, len(tc.want), r.Stderr)
		}
	}
}

// TestCaptureNotOwned: a namespace with a node's name that topo did
// not make is never captured in.
func TestCaptureNotOwned(t *testing.T) {
	l := arpWatch(t, "cap-own")
	foreign := l.NS("h2")
	e2e.Sh(t, "ip", "netns", "del", foreign)
	e2e.Sh(t, "ip", "netns", "add", foreign)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", foreign).Run() })
	r := l.Topo("capture", "--lab", l.Name, "h2", "-c", "1")
	if r.Code != 2 || !strings.Contains(r.Stderr, "not created by topo") || strings.Contains(r.Stderr, "listening") {
		t.Fatalf("capture in a foreign namespace:\n%v", r)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCaptureAll captures every host of a 20-host lab (--all) while
// `topo check` probes all 380 pairs in parallel: every interface is in
// the file, frames from 20 namespaces come out in time order, and
// each echo request and reply is there exactly twice: leaving its
// sender and reaching its receiver.
func TestCaptureAll(t *testing.T) {
	l := newLab(t, "cap-all", "")
	l.Gen("single", "20")
	l.Up()
	nodes := []string{"s1"}
	for i := 1; i <= 20; i++ {
		nodes = append(nodes, fmt.Sprintf("h%d", i))
	}
	retryOnDrops(t, l, nodes, func(int) string {
		file := filepath.Join(t.TempDir(), "all.pcapng")
		p := l.Start("capture", "--lab", l.Name, "--all", "-w", file, "icmp")
		p.WaitOutput(t, "(20 interfaces)")
		check := l.Topo("check", l.Name)
		p.Cmd.Process.Signal(os.Interrupt)
		r := p.Wait()
		if r.Code != 0 {
			t.Fatalf("capture: %v", r)
		}
		// The capture kept up: no frame lost in its buffers.
		if !regexp.MustCompile(`(?m)^total +\d+ +\d+ +0$`).MatchString(r.Stderr) {
			t.Fatalf("the capture lost frames:\n%s", r.Stderr)
		}
		if check.Code != 0 {
			return fmt.Sprintf("topo check:\n%v", check)
		}
		frames := readPcapngFile(t, file)
		inTimeOrder(t, frames)
		host := func(ip string) string { return "h" + strings.TrimPrefix(ip, "10.0.0.") + ":eth0" }
		seen := map[string][]string{} // echo message -> where it was seen
		ifaces := map[string]bool{}
		for _, f := range frames {
			ifaces[f.where] = true
			if !strings.HasPrefix(f.what, "echo ") {
				t.Errorf("not an echo: %v", f)
				continue
			}
			seen[f.what] = append(seen[f.what], f.where+" "+f.dir)
		}
		if len(ifaces) != 20 {
			t.Errorf("frames from %d interfaces, want 20: %v", len(ifaces), ifaces)
		}
		var why []string
		requests := 0
		for what, where := range seen {
			// "echo request 10.0.0.1>10.0.0.2 id 5 seq 1"
			ends := strings.Fields(what)[2]
			src, dst, _ := strings.Cut(ends, ">")
			want := []string{host(src) + " >", host(dst) + " <"}
			if strings.Join(where, ", ") != strings.Join(want, ", ") {
				why = append(why, fmt.Sprintf("%s seen at %v, want %v", what, where, want))
			}
			if strings.HasPrefix(what, "echo request") {
				requests++
			}
		}
		if requests < 380 {
			why = append(why, fmt.Sprintf("%d echo requests captured, want at least one per pair (380)", requests))
		}
		return strings.Join(why, "\n")
	})
}
