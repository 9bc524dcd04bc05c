package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress draws one self-overwriting line ("up lab1: 120/512 steps,
// 830/s") on a terminal, at most ten times a second, and nothing when
// the output is not a terminal or the work is small.
type progress struct {
	w     io.Writer
	label string
	tty   bool
	start time.Time
	mu    sync.Mutex
	last  time.Time
	drawn bool
}

// minProgressTotal is the size of work below which no line is drawn.
const minProgressTotal = 200

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		p.tty = err == nil
	}
	return p
}

func (p *progress) update(done, total int) {
	if !p.tty || total < minProgressTotal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = now
	rate := float64(done) / now.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\r%s: %d/%d steps, %.0f/s ", p.label, done, total, rate)
	p.drawn = true
}

// finish clears the line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
