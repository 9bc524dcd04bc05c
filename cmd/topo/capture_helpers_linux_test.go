package main

// Helpers for the capture tests: reading a pcapng file back with
// gopacket, describing its frames independently of topo's formatter,
// and running the readers a user would (tcpdump, tshark).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/topo-lab/topo/internal/e2e"
)

// capFrame is one frame of a capture file: where it was seen, which
// way it went, when, and what it is.
type capFrame struct {
	where string // "h1:eth0"
	dir   string // "<" in, ">" out, "?" unknown
	at    time.Time
	what  string // see describe
	data  []byte
}

func (f capFrame) String() string { return f.where + " " + f.dir + " " + f.what }

// readPcapng reads every frame of a pcapng stream with gopacket's
// reader, failing t on anything but a clean end.
func readPcapng(t *testing.T, r io.Reader) []capFrame {
	t.Helper()
	ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("read pcapng: %v", err)
	}
	var out []capFrame
	for {
		f, err := nextFrame(ng)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read pcapng after %d frames: %v", len(out), err)
		}
		out = append(out, f)
	}
}

// nextFrame reads one frame.
func nextFrame(ng *pcapgo.NgReader) (capFrame, error) {
	data, ci, opts, err := ng.ReadPacketDataWithOptions()
	if err != nil {
		return capFrame{}, err
	}
	intf, err := ng.Interface(ci.InterfaceIndex)
	if err != nil {
		return capFrame{}, err
	}
	dir := "?"
	if opts.Flags != nil {
		switch opts.Flags.Direction {
		case pcapgo.NgEpbFlagDirectionInbound:
			dir = "<"
		case pcapgo.NgEpbFlagDirectionOutbound:
			dir = ">"
		}
	}
	return capFrame{where: intf.Name, dir: dir, at: ci.Timestamp, what: describe(data), data: append([]byte(nil), data...)}, nil
}

// streamFrames reads a pcapng stream as it comes, one frame at a time
// on the channel, which is closed at the stream's end; anything but a
// clean end fails t.
func streamFrames(t *testing.T, r io.Reader) <-chan capFrame {
	c := make(chan capFrame, 1024)
	go func() {
		defer close(c)
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Errorf("read pcapng: %v", err)
			return
		}
		for {
			f, err := nextFrame(ng)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Errorf("read pcapng: %v", err)
				}
				return
			}
			c <- f
		}
	}()
	return c
}

// readPcapngFile reads a capture file.
func readPcapngFile(t *testing.T, path string) []capFrame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readPcapng(t, f)
}

// describe names ARP and ICMP echo frames the way the tests expect
// them ("arp who-has 10.10.10.100", "arp reply 10.10.10.100",
// "echo request 10.10.10.10>10.10.10.100 id 5 seq 1"), and anything
// else "other", with gopacket alone.
func describe(data []byte) string {
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	if a, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		switch a.Operation {
		case layers.ARPRequest:
			return fmt.Sprintf("arp who-has %v", ipString(a.DstProtAddress))
		case layers.ARPReply:
			return fmt.Sprintf("arp reply %v", ipString(a.SourceProtAddress))
		}
	}
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	icmp, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if ip != nil && icmp != nil {
		kind := map[uint8]string{layers.ICMPv4TypeEchoRequest: "echo request", layers.ICMPv4TypeEchoReply: "echo reply"}[icmp.TypeCode.Type()]
		if kind != "" {
			return fmt.Sprintf("%s %v>%v id %d seq %d", kind, ip.SrcIP, ip.DstIP, icmp.Id, icmp.Seq)
		}
	}
	return "other"
}

func ipString(b []byte) string {
	if len(b) != 4 {
		return fmt.Sprintf("%x", b)
	}
	return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
}

// frameStrings renders frames one per line, for comparisons.
func frameStrings(fs []capFrame) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

// inTimeOrder fails t when the frames' timestamps go backwards.
func inTimeOrder(t *testing.T, fs []capFrame) {
	t.Helper()
	for i := 1; i < len(fs); i++ {
		if fs[i].at.Before(fs[i-1].at) {
			t.Errorf("frame %d (%v at %v) is older than frame %d (%v at %v)", i, fs[i], fs[i].at.Format(time.StampNano), i-1, fs[i-1], fs[i-1].at.Format(time.StampNano))
		}
	}
}

// readerTool runs tcpdump or tshark on a file and returns its standard
// output; it skips t, saying why, when the tool is not installed (CI
// installs both: make test-deps).
func readerTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed (`make test-deps` installs it)", name)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	for _, bad := range []string{"cut short", "appears to be damaged", "truncated"} {
		if strings.Contains(stderr.String(), bad) {
			t.Errorf("%s %s says the file is damaged:\n%s", name, strings.Join(args, " "), stderr.String())
		}
	}
	return stdout.String()
}

// topoCmd is topo with the lab's state directory, not started, for
// tests that wire its standard streams themselves.
func topoCmd(l *labT, args ...string) *exec.Cmd {
	cmd := exec.Command(e2e.Bin(), args...)
	cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+l.StateDir)
	return cmd
}

// kernelDrops sums the frames the kernel dropped on every interface of
// the given nodes of the lab (a veth counts what its peer could not
// take in: on a busy machine the input backlog, which every namespace
// shares, overflows).
func kernelDrops(t *testing.T, l *labT, nodes []string) uint64 {
	t.Helper()
	var total uint64
	for _, n := range nodes {
		var links []struct {
			Stats struct {
				RX struct {
					Dropped uint64 `json:"dropped"`
				} `json:"rx"`
				TX struct {
					Dropped uint64 `json:"dropped"`
				} `json:"tx"`
			} `json:"stats64"`
		}
		if err := json.Unmarshal([]byte(e2e.Sh(t, "ip", "-n", l.NS(n), "-s", "-j", "link", "show")), &links); err != nil {
			t.Fatalf("ip -s -j link in %s: %v", n, err)
		}
		for _, k := range links {
			total += k.Stats.RX.Dropped + k.Stats.TX.Dropped
		}
	}
	return total
}

// maxTries bounds retryOnDrops.
const maxTries = 5

// retryOnDrops runs try until it returns "" (success). A try that
// fails (returning why) is run again only when the kernel dropped
// frames on the nodes' interfaces meanwhile: then the traffic, not the
// capture, was short (this machine is shared, and others' floods fill
// the backlog). Otherwise, or after maxTries, t fails with why.
func retryOnDrops(t *testing.T, l *labT, nodes []string, try func(n int) string) {
	t.Helper()
	for n := 1; ; n++ {
		before := kernelDrops(t, l, nodes)
		why := try(n)
		if why == "" {
			return
		}
		dropped := kernelDrops(t, l, nodes) - before
		if dropped == 0 || n == maxTries {
			t.Fatalf("try %d (the kernel dropped %d frames on the lab's links meanwhile): %s", n, dropped, why)
		}
		t.Logf("try %d: the kernel dropped %d frames on the lab's links (a busy machine); again. It was: %s", n, dropped, why)
	}
}

// flushNeighbours empties the neighbour tables of the lab's nodes, so
// that the next ping starts with ARP again.
func flushNeighbours(t *testing.T, l *labT, nodes ...string) {
	t.Helper()
	for _, n := range nodes {
		e2e.Sh(t, "ip", "-n", l.NS(n), "neigh", "flush", "all")
	}
}
