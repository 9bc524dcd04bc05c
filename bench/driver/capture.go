package main

import (
	"bufio"
	"encoding/json"
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

// captureCase is `topo capture -w` against `tcpdump -w` on the same
// veth while iperf3 (TCP, one stream) runs through it.
type captureCase struct {
	seconds int
	tools   []*captureTool
}

// captureTool is what one capturer did, run by run.
type captureTool struct {
	name    string
	fps     series // frames captured per second of iperf3
	drops   series // frames the kernel dropped, per run
	gbps    series // what iperf3 got through meanwhile
	fileMB  series
	ready   series // seconds from start to "listening on"
	first   series // seconds from start to the first frame captured
	maxRSS  int64  // KiB
	command string
}

// iperfRate is iperf3's target rate: more than either capturer writes
// to a file on two CPUs, less than the veth carries with a capture.
const iperfRate = "10G"

// The lab of the capture bench: examples/arp-watch.yaml's two hosts.
const captureLab = `hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.10.10.10/24, 10.10.10.100/24]
`

// captureBench measures each capturer runs times, taking turns (which
// goes first alternates), then the time to the first frame.
func (b *bench) captureBench(seconds int) *captureCase {
	lab := b.id + "-capture"
	c := &captureCase{seconds: seconds, tools: []*captureTool{{name: "topo capture"}, {name: "tcpdump"}}}
	path := filepath.Join(b.work, lab+".yaml")
	if err := os.WriteFile(path, []byte("name: "+lab+"\n"+captureLab), 0o644); err != nil {
		b.fail("capture lab: %v", err)
		return c
	}
	if res := b.up(path, lab); res.err != nil {
		b.fail("capture lab: %v", res.err)
		return c
	}
	defer b.down(lab)
	for i := 0; i < b.runs; i++ {
		for j := range c.tools {
			t := c.tools[(i+j)%len(c.tools)]
			if err := b.captureRun(lab, t, i, seconds); err != nil {
				b.fail("%s run %d: %v", t.name, i+1, err)
			}
		}
	}
	b.firstFrames(lab, c)
	return c
}

// captureCmd is the command line of a capturer writing to file; count
// > 0 stops it after that many frames.
func (b *bench) captureCmd(lab string, t *captureTool, file string, count int) *exec.Cmd {
	if t.name == "tcpdump" {
		args := []string{"netns", "exec", lab + "-h2", "tcpdump", "-i", "eth0", "-w", file}
		if count > 0 {
			args = append(args, "-c", strconv.Itoa(count))
		}
		return exec.Command("ip", args...)
	}
	args := []string{"capture", "--lab", lab, "h2:eth0", "-w", file}
	if count > 0 {
		args = append(args, "-c", strconv.Itoa(count))
	}
	return exec.Command(b.topo, args...)
}

var (
	topoCounts    = regexp.MustCompile(`(\d+) frames? captured on \S+, (\d+) dropped by the kernel`)
	tcpdumpCounts = regexp.MustCompile(`(?s)(\d+) packets? captured.*?(\d+) packets? dropped by kernel`)
)

// captureRun starts the capturer, waits until it listens, runs iperf3
// through the veth for the given seconds, stops it with SIGINT and
// reads its counts.
func (b *bench) captureRun(lab string, t *captureTool, run, seconds int) error {
	file := filepath.Join(b.work, fmt.Sprintf("capture-%d-%s", run, strings.ReplaceAll(t.name, " ", "-")))
	defer os.Remove(file)
	cmd := b.captureCmd(lab, t, file, 0)
	t.command = strings.Join(cmd.Args, " ")
	b.r.note(strings.ReplaceAll(strings.ReplaceAll(t.command, file, "FILE"), b.id, "benchPID") + "   # then SIGINT; FILE removed after")
	// Write back what earlier runs left in the page cache, so that no
	// run pays for another's writes.
	exec.Command("sync").Run()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	var all strings.Builder
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if !said && strings.Contains(sc.Text(), "listening on") {
				said = true
				close(ready)
			}
		}
		if !said {
			close(ready)
		}
	}()
	<-ready
	t.ready = append(t.ready, time.Since(start).Seconds())
	gbps, ierr := b.iperf(lab, seconds)
	cmd.Process.Signal(syscall.SIGINT)
	werr := cmd.Wait()
	if ierr != nil {
		return ierr
	}
	if werr != nil {
		return fmt.Errorf("%s: %v: %s", t.command, werr, all.String())
	}
	re := topoCounts
	if t.name == "tcpdump" {
		re = tcpdumpCounts
	}
	m := re.FindStringSubmatch(all.String())
	if m == nil {
		return fmt.Errorf("%s: no counts in %q", t.command, all.String())
	}
	captured, _ := strconv.ParseFloat(m[1], 64)
	dropped, _ := strconv.ParseFloat(m[2], 64)
	t.fps = append(t.fps, captured/float64(seconds))
	t.drops = append(t.drops, dropped)
	t.gbps = append(t.gbps, gbps)
	if fi, err := os.Stat(file); err == nil {
		t.fileMB = append(t.fileMB, float64(fi.Size())/1e6)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.maxRSS = max(t.maxRSS, ru.Maxrss)
	}
	b.say("  %s run %d: %.0f frames/s, %.0f dropped, iperf3 %.1f Gbit/s, %.0f MB written", t.name, run+1, captured/float64(seconds), dropped, gbps, t.fileMB[len(t.fileMB)-1])
	return nil
}

// iperf runs an iperf3 server in h2 and a client in h1 for seconds
// and returns the bits per second the server received, in Gbit/s.
func (b *bench) iperf(lab string, seconds int) (float64, error) {
	srv := exec.Command("ip", "netns", "exec", lab+"-h2", "iperf3", "-s", "-1")
	if err := srv.Start(); err != nil {
		return 0, fmt.Errorf("iperf3 -s: %w", err)
	}
	defer srv.Wait()
	defer srv.Process.Kill()
	// At a set rate, so that both capturers are offered the same frames
	// (unbounded, iperf3's rate follows what the capture costs the CPUs
	// it shares, and drops could not be compared).
	args := []string{"netns", "exec", lab + "-h1", "iperf3", "-c", "10.10.10.100", "-b", iperfRate, "-t", strconv.Itoa(seconds), "-J"}
	b.r.note(strings.ReplaceAll("ip netns exec "+lab+"-h2 iperf3 -s -1 & ip "+strings.Join(args, " "), b.id, "benchPID"))
	var out []byte
	var err error
	// The server needs a moment to listen; the client says so.
	for try := 0; try < 50; try++ {
		out, err = exec.Command("ip", args...).Output()
		if !strings.Contains(string(out), "Connection refused") && !strings.Contains(string(out), "server is busy") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return 0, fmt.Errorf("iperf3 -c: %v: %s", err, out)
	}
	var res struct {
		Error string `json:"error"`
		End   struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, fmt.Errorf("iperf3 -J: %w", err)
	}
	if res.Error != "" || res.End.SumReceived.BitsPerSecond == 0 {
		return 0, fmt.Errorf("iperf3 -c: no result (%q)", res.Error)
	}
	return res.End.SumReceived.BitsPerSecond / 1e9, nil
}

// pinger pings h2 from h1 every millisecond until killed.
func (b *bench) pinger(lab string) *exec.Cmd {
	return exec.Command("ip", "netns", "exec", lab+"-h1", "ping", "-q", "-i", "0.001", "10.10.10.100")
}
