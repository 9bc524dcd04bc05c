package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

// firstFrames measures, for each capturer, the time from its start to
// the first frame it captured while h1 pings h2 every millisecond:
// start-up cost and the frames lost before the socket is bound.
func (b *bench) firstFrames(lab string, c *captureCase) {
	ping := b.pinger(lab)
	if err := ping.Start(); err != nil {
		b.fail("capture: pinger: %v", err)
		return
	}
	defer func() { ping.Process.Kill(); ping.Wait() }()
	for i := 0; i < max(b.runs, 5); i++ {
		for j := range c.tools {
			t := c.tools[(i+j)%len(c.tools)]
			d, err := b.firstFrame(lab, t, i)
			if err != nil {
				b.fail("%s first frame, run %d: %v", t.name, i+1, err)
				continue
			}
			t.first = append(t.first, d.Seconds())
		}
	}
	for _, t := range c.tools {
		b.say("  %s: start to first frame %s s", t.name, t.first)
	}
}

// firstFrame runs the capturer for one frame and returns how long
// after its start that frame was captured (its kernel timestamp).
func (b *bench) firstFrame(lab string, t *captureTool, run int) (time.Duration, error) {
	file := filepath.Join(b.work, fmt.Sprintf("first-%d-%s", run, strings.ReplaceAll(t.name, " ", "-")))
	defer os.Remove(file)
	cmd := b.captureCmd(lab, t, file, 1)
	b.r.note(strings.ReplaceAll(strings.ReplaceAll(strings.Join(cmd.Args, " "), file, "FILE"), b.id, "benchPID") + "   # while h1 pings h2 every ms")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out)
	}
	at, err := firstTimestamp(file)
	if err != nil {
		return 0, err
	}
	return at.Sub(start), nil
}

// firstTimestamp reads the time of the first frame of a pcap or pcapng
// file.
func firstTimestamp(path string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	if ng, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions); err == nil {
		_, ci, err := ng.ReadPacketData()
		return ci.Timestamp, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return time.Time{}, err
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: neither pcapng nor pcap: %w", path, err)
	}
	_, ci, err := r.ReadPacketData()
	return ci.Timestamp, err
}
