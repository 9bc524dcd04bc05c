package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	a, b := newPrefixWriter(&mu, &out, "h1: "), newPrefixWriter(&mu, &out, "h2: ")
	a.Write([]byte("one "))
	b.Write([]byte("x\ny"))
	a.Write([]byte("line\ntwo\n"))
	b.Write([]byte("z\n"))
	a.Write([]byte("tail"))
	a.flush()
	b.flush()
	want := "h2: x\nh1: one line\nh1: two\nh2: yz\nh1: tail\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestPrefixWriterConcurrent writes lines in small pieces from many
// writers at once: every line comes out whole, after its own prefix.
func TestPrefixWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newPrefixWriter(&mu, &out, name+": ")
			line := strings.Repeat(name, 50) + "\n"
			for range 200 {
				for i := 0; i < len(line); i += 7 {
					w.Write([]byte(line[i:min(i+7, len(line))]))
				}
			}
			w.flush()
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		name, rest, ok := strings.Cut(l, ": ")
		if !ok || rest != strings.Repeat(name, 50) {
			t.Fatalf("mixed line %q", l)
		}
	}
}

func TestPrefixWriterLongLine(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := newPrefixWriter(&mu, &out, "h1: ")
	w.Write(bytes.Repeat([]byte("x"), maxHeld+10))
	w.flush()
	if got := strings.Count(out.String(), "h1: "); got != 2 {
		t.Errorf("a line longer than %d bytes came out in %d pieces, want 2", maxHeld, got)
	}
}
