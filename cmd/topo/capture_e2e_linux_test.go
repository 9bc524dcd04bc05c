package main

// End-to-end tests of topo capture: real labs, real traffic made by
// the kernel inside the lab's namespaces, the capture read back as a
// user would. Tests that expect exact traffic try again only when the
// kernel itself dropped frames on the lab's links (retryOnDrops).

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
)

// arpWatch brings up examples/arp-watch.yaml as a lab of its own: h1
// 10.10.10.10 and h2 10.10.10.100 on one veth pair.
func arpWatch(t *testing.T, tag string) *labT {
	t.Helper()
	l := newLab(t, tag, "")
	l.File = l.WriteRenamed("../../examples/arp-watch.yaml")
	l.Up()
	return l
}

// pairNodes are the nodes of arpWatch.
var pairNodes = []string{"h1", "h2"}

// pingOnce pings h2 from h1 with the system's ping until one reply
// comes back: the kernel resolves h2 with ARP first (when the
// neighbour tables are empty).
func pingOnce(t *testing.T, l *labT) {
	t.Helper()
	l.Must("exec", "--lab", l.Name, "h1", "--", "ping", "-c1", "-w10", "-i0.2", "10.10.10.100")
}

// exchange is what one ping from h1 to h2 looks like on both ends of
// their link, in time order: the ARP request leaves h1 and reaches
// h2, the reply comes back, then the echo request and reply.
func exchange(id string) []string {
	req := "echo request 10.10.10.10>10.10.10.100 id " + id + " seq 1"
	rep := "echo reply 10.10.10.100>10.10.10.10 id " + id + " seq 1"
	return []string{
		"h1:eth0 > arp who-has 10.10.10.100",
		"h2:eth0 < arp who-has 10.10.10.100",
		"h2:eth0 > arp reply 10.10.10.100",
		"h1:eth0 < arp reply 10.10.10.100",
		"h1:eth0 > " + req,
		"h2:eth0 < " + req,
		"h2:eth0 > " + rep,
		"h1:eth0 < " + rep,
	}
}

// echoID is the ICMP id of the first echo request among frames.
func echoID(fs []capFrame) string {
	for _, f := range fs {
		if strings.HasPrefix(f.what, "echo request") {
			return f.what[strings.Index(f.what, " id ")+4 : strings.Index(f.what, " seq ")]
		}
	}
	return "?"
}

// TestCaptureARPPing is the seed exercise: both ends of the link are
// captured while h1 pings h2 for the first time; Ctrl-C ends the
// capture. The file, read back with gopacket, tcpdump and tshark,
// holds the ARP request and reply and the echo request and reply, each
// on the interface that saw it, in time order, none twice, none
// missing; the lines printed meanwhile say the same.
func TestCaptureARPPing(t *testing.T) {
	l := arpWatch(t, "cap-arp")
	var file string
	retryOnDrops(t, l, pairNodes, func(n int) string {
		if n > 1 {
			flushNeighbours(t, l, pairNodes...)
		}
		file = filepath.Join(t.TempDir(), "arp.pcapng")
		p := l.Start("capture", "--lab", l.Name, "link:h1:eth0", "-w", file, "--print", "arp", "or", "icmp")
		p.WaitOutput(t, "listening on h1:eth0, h2:eth0")
		pingOnce(t, l)
		p.Cmd.Process.Signal(os.Interrupt)
		r := p.Wait()
		if r.Code != 0 {
			t.Fatalf("capture: %v", r)
		}
		frames := readPcapngFile(t, file)
		inTimeOrder(t, frames)
		want := exchange(echoID(frames))
		if got := frameStrings(frames); !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("the file holds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The printed lines, one per frame, in the same order.
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		wantLines := []string{"h1:eth0 > ARP   who-has 10.10.10.100 tell 10.10.10.10", "h2:eth0 < ARP   who-has",
			"h2:eth0 > ARP   10.10.10.100 is-at", "h1:eth0 < ARP   10.10.10.100 is-at",
			"h1:eth0 > ICMP  10.10.10.10 > 10.10.10.100 echo request", "h2:eth0 < ICMP  10.10.10.10 > 10.10.10.100 echo request",
			"h2:eth0 > ICMP  10.10.10.100 > 10.10.10.10 echo reply", "h1:eth0 < ICMP  10.10.10.100 > 10.10.10.10 echo reply"}
		if len(lines) != len(wantLines) {
			t.Fatalf("printed %d lines for the 8 frames of the file:\n%s", len(lines), r.Stdout)
		}
		for i, w := range wantLines {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d: %q, want it to contain %q", i+1, lines[i], w)
			}
		}
		for _, w := range []string{`h1:eth0 +4 +\d+ +0`, `h2:eth0 +4 +\d+ +0`, `total +8 +\d+ +0`} {
			if !regexp.MustCompile(`(?m)^` + w + `$`).MatchString(r.Stderr) {
				t.Errorf("summary lacks %q (captured, seen, dropped):\n%s", w, r.Stderr)
			}
		}
		return ""
	})
	t.Run("tshark", func(t *testing.T) {
		out := readerTool(t, "tshark", "-r", file, "-T", "fields", "-e", "frame.interface_name", "-e", "frame.packet_flags_direction", "-e", "_ws.col.Protocol")
		want := "h1:eth0\t0x00000002\tARP\nh2:eth0\t0x00000001\tARP\nh2:eth0\t0x00000002\tARP\nh1:eth0\t0x00000001\tARP\n" +
			"h1:eth0\t0x00000002\tICMP\nh2:eth0\t0x00000001\tICMP\nh2:eth0\t0x00000002\tICMP\nh1:eth0\t0x00000001\tICMP\n"
		if out != want {
			t.Errorf("tshark -r:\n%s\nwant:\n%s", out, want)
		}
	})
	t.Run("tcpdump", func(t *testing.T) {
		out := readerTool(t, "tcpdump", "-r", file, "-n")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for i, w := range []string{"Request who-has 10.10.10.100 tell 10.10.10.10", "Request who-has 10.10.10.100 tell 10.10.10.10",
			"Reply 10.10.10.100 is-at", "Reply 10.10.10.100 is-at", "ICMP echo request", "ICMP echo request", "ICMP echo reply", "ICMP echo reply"} {
			if len(lines) != 8 || !strings.Contains(lines[i], w) {
				t.Fatalf("tcpdump -r, line %d: want %q in:\n%s", i+1, w, out)
			}
		}
	})
}

// TestCaptureStdout pipes `-w -` into a reader while h1 pings h2: the
// reader gets each frame while the capture still runs (the stream is
// flushed per frame), then a clean end at Ctrl-C.
func TestCaptureStdout(t *testing.T) {
	l := arpWatch(t, "cap-pipe")
	retryOnDrops(t, l, pairNodes, func(int) string {
		cmd := topoCmd(l, "capture", "--lab", l.Name, "h2", "-w", "-", "icmp")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr e2e.SyncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		if !e2e.Eventually(func() bool { return strings.Contains(stderr.String(), "listening on h2:eth0") }) {
			t.Fatalf("capture never said it listens:\n%s", stderr.String())
		}
		frames := streamFrames(t, stdout)
		pings := l.Topo("exec", "--lab", l.Name, "h1", "--", "ping", "-c3", "-i0.2", "-W5", "10.10.10.100")
		if !strings.Contains(pings.Stdout, "3 received") {
			return fmt.Sprintf("ping:\n%v", pings)
		}
		// Read live: the six frames arrive before the capture is stopped.
		var all []capFrame
		for len(all) < 6 {
			select {
			case f, ok := <-frames:
				if !ok {
					t.Fatalf("the stream ended after %d frames:\n%s", len(all), stderr.String())
				}
				all = append(all, f)
			case <-time.After(30 * time.Second):
				t.Fatalf("only %d frames came through the pipe while the capture ran:\n%s", len(all), strings.Join(frameStrings(all), "\n"))
			}
		}
		cmd.Process.Signal(os.Interrupt)
		for f := range frames {
			all = append(all, f)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("capture: %v\n%s", err, stderr.String())
		}
		if len(all) != 6 {
			t.Fatalf("read %d frames, want 6:\n%s", len(all), strings.Join(frameStrings(all), "\n"))
		}
		for i, f := range all {
			want := "h2:eth0 < echo request"
			if i%2 == 1 {
				want = "h2:eth0 > echo reply"
			}
			if !strings.HasPrefix(f.String(), want) {
				t.Errorf("frame %d: %v, want %s", i+1, f, want)
			}
		}
		if !strings.Contains(stderr.String(), "6 frames captured on h2:eth0") {
			t.Errorf("summary:\n%s", stderr.String())
		}
		return ""
	})
}

// TestCaptureCount: -c ends the capture by itself after that many
// frames, printed, counted and nothing more.
func TestCaptureCount(t *testing.T) {
	l := arpWatch(t, "cap-count")
	retryOnDrops(t, l, pairNodes, func(int) string {
		// --timeout only bounds a try whose pings the kernel dropped.
		p := l.Start("capture", "--lab", l.Name, "h2", "-c", "3", "--timeout", "30s", "icmp")
		p.WaitOutput(t, "listening on h2:eth0")
		pings := l.Topo("exec", "--lab", l.Name, "h1", "--", "ping", "-c2", "-i0.2", "-W5", "10.10.10.100")
		if !strings.Contains(pings.Stdout, "2 received") {
			p.Cmd.Process.Signal(os.Interrupt)
			p.Wait()
			return fmt.Sprintf("ping:\n%v", pings)
		}
		r := p.Wait()
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		if r.Code != 0 || len(lines) != 3 || !strings.Contains(r.Stderr, "3 frames captured on h2:eth0") {
			t.Fatalf("capture -c 3 of two pings:\n%v", r)
		}
		for i, w := range []string{"< ICMP  10.10.10.10 > 10.10.10.100 echo request", "> ICMP  10.10.10.100 > 10.10.10.10 echo reply", "< ICMP  10.10.10.10 > 10.10.10.100 echo request"} {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
			}
		}
		return ""
	})
}
