package main

import (
	"bytes"
	"io"
	"sync"
)

// prefixWriter writes what one node's command prints to a stream that
// several nodes share, each line whole and led by the node's name, so
// that lines of different nodes never mix within a line. A line is held
// until its newline; flush writes what is left.
type prefixWriter struct {
	mu     *sync.Mutex // shared by every writer of out
	out    io.Writer
	prefix []byte
	buf    []byte
}

// maxHeld is the most of one line held back; a longer line is written
// in pieces, each with the prefix.
const maxHeld = 64 << 10

func newPrefixWriter(mu *sync.Mutex, out io.Writer, prefix string) *prefixWriter {
	return &prefixWriter{mu: mu, out: out, prefix: []byte(prefix)}
}

// Write implements io.Writer; it never fails (the command's output is
// not the command's concern once written).
func (w *prefixWriter) Write(p []byte) (int, error) {
	n := len(p)
	w.buf = append(w.buf, p...)
	var lines []byte
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 && len(w.buf) < maxHeld {
			break
		}
		end := i + 1
		if i < 0 {
			end = maxHeld
		}
		lines = append(append(lines, w.prefix...), w.buf[:end]...)
		if i < 0 {
			lines = append(lines, '\n')
		}
		w.buf = w.buf[end:]
	}
	if len(lines) > 0 {
		w.emit(lines)
	}
	return n, nil
}

// flush writes a last line that has no newline, adding one.
func (w *prefixWriter) flush() {
	if len(w.buf) == 0 {
		return
	}
	w.emit(append(append(append([]byte(nil), w.prefix...), w.buf...), '\n'))
	w.buf = nil
}

func (w *prefixWriter) emit(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(b)
}
