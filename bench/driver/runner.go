package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// result is one timed run of a program.
type result struct {
	wall   time.Duration
	maxRSS int64 // KiB, of the process (and any child it waited for)
	out    string
	err    error
}

// runner runs the programs the bench times and keeps their output in
// the work directory.
type runner struct {
	dir  string // bench/out/RUN
	seq  int
	cmds []string // every distinct command line, in order, for the report
	seen map[string]bool
	log  io.Writer
}

func newRunner(dir string, log io.Writer) *runner {
	return &runner{dir: dir, seen: map[string]bool{}, log: log}
}

// note records a command line for the "exact commands" list of the
// report, once.
func (r *runner) note(cmdline string) {
	if !r.seen[cmdline] {
		r.seen[cmdline] = true
		r.cmds = append(r.cmds, cmdline)
	}
}

// run starts name args, waits, and returns its wall time, peak RSS and
// output (stdout and stderr together, also written to a log file).
// wrap, when not nil, adapts the command before it starts (the
// Mininet cgroup).
func (r *runner) run(shown string, wrap func(*exec.Cmd) *exec.Cmd, name string, args ...string) result {
	cmdline := strings.Join(append([]string{name}, args...), " ")
	if shown != "" {
		r.note(shown)
	} else {
		r.note(cmdline)
	}
	cmd := exec.Command(name, args...)
	if wrap != nil {
		cmd = wrap(cmd)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	res := result{wall: time.Since(start), out: buf.String(), err: err}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.maxRSS = ru.Maxrss
		}
	}
	r.seq++
	logName := filepath.Join(r.dir, fmt.Sprintf("%03d-%s.log", r.seq, filepath.Base(name)))
	os.WriteFile(logName, []byte(cmdline+"\n"+buf.String()), 0o644)
	if err != nil {
		res.err = fmt.Errorf("%s: %w (output in %s)", cmdline, err, logName)
	}
	return res
}

// median of the values; 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// series is several runs of one measurement, in seconds.
type series []float64

func (s series) med() float64 { return median(s) }

func (s series) String() string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmtSec(x)
	}
	return strings.Join(parts, ", ")
}

func fmtSec(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 1:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.3f", x)
	}
}
