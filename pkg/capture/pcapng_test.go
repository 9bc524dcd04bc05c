package capture

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapngSample writes two interfaces, the second added after a frame
// of the first, three frames and the statistics, and returns the file.
func pcapngSample(t *testing.T) ([]byte, []Frame) {
	t.Helper()
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	req := arpFrame(t, layers.ARPRequest, mac1, ip1, make(net.HardwareAddr, 6), ip2)
	rep := arpFrame(t, layers.ARPReply, mac2, ip2, mac1, ip1)
	frames := []Frame{
		{Time: at, Iface: 0, Dir: Out, Len: len(req), Data: req},
		{Time: at.Add(1), Iface: 1, Dir: In, Len: len(req), Data: req},
		{Time: at.Add(1500), Iface: 1, Dir: Out, Len: len(rep) + 100, Data: rep},
	}
	var buf bytes.Buffer
	p := NewPcapng(&buf, false)
	if err := p.AddInterface(0, Interface{Name: "h1:eth0", Description: "lab t node h1", Filter: "arp", Snaplen: 262144}); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteFrame(&frames[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteFrame(&frames[1]); err == nil {
		t.Fatal("a frame of an interface not yet described was written")
	}
	if err := p.AddInterface(1, Interface{Name: "h2:eth0", Snaplen: 262144}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		if err := p.WriteFrame(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.writeStats(0, 1, 0, at, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := p.writeStats(1, 2, 3, at, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), frames
}

// TestPcapngReadBack reads the file back with gopacket's reader: the
// interface names, the frames with their nanoseconds, lengths and
// directions.
func TestPcapngReadBack(t *testing.T) {
	data, frames := pcapngSample(t)
	r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frames {
		got, ci, opts, err := r.ReadPacketDataWithOptions()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		want := frames[i]
		if !bytes.Equal(got, want.Data) || !ci.Timestamp.Equal(want.Time) || ci.InterfaceIndex != want.Iface || ci.Length != want.Len {
			t.Errorf("frame %d: %v iface %d len %d, want %v iface %d len %d", i, ci.Timestamp, ci.InterfaceIndex, ci.Length, want.Time, want.Iface, want.Len)
		}
		dir := pcapgo.NgEpbFlagDirectionInbound
		if want.Dir == Out {
			dir = pcapgo.NgEpbFlagDirectionOutbound
		}
		if opts.Flags == nil || opts.Flags.Direction != dir {
			t.Errorf("frame %d: flags %+v, want direction %v", i, opts.Flags, dir)
		}
	}
	if _, _, err := r.ReadPacketData(); err != io.EOF {
		t.Errorf("after the frames: %v, want EOF", err)
	}
	for i, name := range []string{"h1:eth0", "h2:eth0"} {
		intf, err := r.Interface(i)
		if err != nil || intf.Name != name || intf.LinkType != layers.LinkTypeEthernet {
			t.Errorf("interface %d: %+v %v, want %s", i, intf, err, name)
		}
	}
}

// TestPcapngTools opens the file with tshark and tcpdump, the tools a
// user opens it with (installed by `make test-deps`).
func TestPcapngTools(t *testing.T) {
	data, _ := pcapngSample(t)
	path := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("tshark", func(t *testing.T) {
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Skip("tshark is not installed (make test-deps installs it)")
		}
		// Direction: 1 inbound, 2 outbound.
		out, err := tool(t, "tshark", "-r", path, "-T", "fields", "-e", "frame.interface_name",
			"-e", "frame.time_epoch", "-e", "arp.opcode", "-e", "frame.packet_flags_direction")
		if err != nil {
			t.Fatalf("tshark -r: %v\n%s", err, out)
		}
		want := "h1:eth0\t1777636800.123456789\t1\t0x00000002\n" +
			"h2:eth0\t1777636800.123456790\t1\t0x00000001\n" +
			"h2:eth0\t1777636800.123458289\t2\t0x00000002\n"
		if got := string(out); got != want {
			t.Errorf("tshark read:\n%s\nwant:\n%s", out, want)
		}
	})
	t.Run("tcpdump", func(t *testing.T) {
		if _, err := exec.LookPath("tcpdump"); err != nil {
			t.Skip("tcpdump is not installed (make test-deps installs it)")
		}
		out, err := tool(t, "tcpdump", "-r", path, "-n", "--nano", "-tt")
		if err != nil {
			t.Fatalf("tcpdump -r: %v\n%s", err, out)
		}
		for _, want := range []string{
			"1777636800.123456789 ARP, Request who-has 10.10.10.100 tell 10.10.10.10",
			"1777636800.123458289 ARP, Reply 10.10.10.100 is-at 02:00:00:00:00:02",
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("tcpdump -r lacks %q:\n%s", want, out)
			}
		}
	})
}

// tool runs a reader of pcapng files and returns its standard output;
// its standard error (warnings about running as root) goes to the
// error.
func tool(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, stderr.String())
	}
	return out, err
}

// TestPcapngWriteFrames writes many frames, small (copied) and large
// (written from where they are), through a file and through a pipe,
// and reads them back: the same bytes, times, interfaces and
// directions, in order.
func TestPcapngWriteFrames(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var frames []Frame
	for i := range 3000 {
		size := 60 + i%7
		if i%5 == 0 {
			size = 2048 + i*13%60000 // past copyBelow
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i + j)
		}
		frames = append(frames, Frame{Time: at.Add(time.Duration(i) * time.Microsecond), Iface: i % 2, Dir: Dir(i % 3 % 2), Len: size + i%2, Data: data})
	}
	// check reports with Errorf: it runs on the pipe's reader goroutine.
	check := func(t *testing.T, r io.Reader) {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Error(err)
			return
		}
		for i, want := range frames {
			data, ci, opts, err := ng.ReadPacketDataWithOptions()
			if err != nil {
				t.Errorf("frame %d: %v", i, err)
				return
			}
			wantDir := pcapgo.NgEpbFlagDirectionInbound
			if want.Dir == Out {
				wantDir = pcapgo.NgEpbFlagDirectionOutbound
			}
			if !bytes.Equal(data, want.Data) || !ci.Timestamp.Equal(want.Time) || ci.InterfaceIndex != want.Iface ||
				ci.Length != want.Len || opts.Flags == nil || opts.Flags.Direction != wantDir {
				t.Errorf("frame %d: %d bytes at %v iface %d len %d flags %+v, want %d bytes at %v iface %d len %d dir %v",
					i, len(data), ci.Timestamp, ci.InterfaceIndex, ci.Length, opts.Flags, len(want.Data), want.Time, want.Iface, want.Len, wantDir)
				return
			}
		}
		if _, _, err := ng.ReadPacketData(); err != io.EOF {
			t.Errorf("after the frames: %v, want EOF", err)
		}
	}
	write := func(t *testing.T, w io.Writer) {
		p := NewPcapng(w, true)
		if p.vec == nil {
			t.Fatal("no vectored writes on a file")
		}
		for id, name := range []string{"h1:eth0", "h2:eth0"} {
			if err := p.AddInterface(id, Interface{Name: name, Snaplen: Snaplen}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < len(frames); i += 700 {
			if err := p.WriteFrames(frames[i:min(i+700, len(frames))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Finish(nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("file", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "frames.pcapng"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		write(t, f)
		f.Seek(0, io.SeekStart)
		check(t, f)
	})
	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			check(t, r)
			io.Copy(io.Discard, r) // a failed check must not block the writer
			r.Close()
		}()
		write(t, w)
		w.Close()
		<-done
	})
}
