package service

import (
	"io"
	"os"
	"strings"
)

// tailChunk bounds how much of a log Tail reads from its end.
const tailChunk = 64 << 10

// Tail returns the last n lines of the file at path (fewer when it
// holds fewer; nil when it cannot be read).
func Tail(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil
	}
	from := max(end-tailChunk, 0)
	buf := make([]byte, end-from)
	if _, err := f.ReadAt(buf, from); err != nil && err != io.EOF {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
