package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// useRoot points Root at a fresh temporary directory for one test.
func useRoot(t *testing.T) string {
	t.Helper()
	old := Root
	Root = filepath.Join(t.TempDir(), "topo")
	t.Cleanup(func() { Root = old })
	return Root
}

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestWriteLabFile: writeLabFile creates the lab's directory 0700 and
// the file with the mode asked, replaces the file by a new one (a
// rename: the inode changes) rather than rewriting it, and leaves no
// temporary file behind.
func TestWriteLabFile(t *testing.T) {
	useRoot(t)
	dir := Dir("lab")
	path := filepath.Join(dir, "state.json")
	if err := writeLabFile("lab", "state.json", []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	first := inodeOf(t, path)
	if err := writeLabFile("lab", "state.json", []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "two" {
		t.Errorf("content %q, want %q", data, "two")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode())
	}
	if inodeOf(t, path) == first {
		t.Errorf("the file was rewritten in place (same inode), not replaced")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only state.json", names)
	}
}

// TestWriteLabFileNeverPartial reads the file while it is replaced,
// over and over, by one of two large contents: every read sees one of
// them whole.
func TestWriteLabFileNeverPartial(t *testing.T) {
	useRoot(t)
	path := filepath.Join(Dir("lab"), "state.json")
	a, b := bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<20)
	if err := writeLabFile("lab", "state.json", a, 0o600); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(data, a) && !bytes.Equal(data, b) {
				bad = append(bad, fmt.Sprintf("a read saw %q... of %d bytes (%v)", data[:min(len(data), 8)], len(data), err))
				return
			}
		}
	}()
	for i := 0; i < 100; i++ {
		content := a
		if i%2 == 0 {
			content = b
		}
		if err := writeLabFile("lab", "state.json", content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for _, s := range bad {
		t.Error(s)
	}
}

// TestLoadStateDamaged: whatever the state file holds, LoadState
// returns a state or an error (ErrDamaged, naming the file and what to
// do), never panics, and never trusts names that would make paths.
func TestLoadStateDamaged(t *testing.T) {
	useRoot(t)
	for _, tc := range []struct{ desc, content string }{
		{"garbage", "this is not json"},
		{"empty", ""},
		{"cut short", `{"version": 1, "lab": {"name": "lab1", "nod`},
		{"null", "null"},
		{"no lab", `{"version": 1}`},
		{"other version", `{"version": 2, "lab": {"name": "lab1"}}`},
		{"null node", `{"version": 1, "lab": {"name": "lab1", "nodes": [null]}}`},
		{"null link", `{"version": 1, "lab": {"name": "lab1", "nodes": [], "links": [null]}}`},
		{"path as node", `{"version": 1, "lab": {"name": "lab1", "nodes": [{"name": "../x", "kind": "host"}]}}`},
		{"path as namespace", `{"version": 1, "lab": {"name": "lab1", "nodes": []}, "namespaces": {"a/b": 7}}`},
		{"dangling link", `{"version": 1, "lab": {"name": "lab1", "nodes": [{"name": "h1"}], "links": [{"ends": [{"node": "h1"}, {"node": "h2"}]}]}}`},
		{"other lab", `{"version": 1, "lab": {"name": "lab2", "nodes": []}}`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if err := writeLabFile("lab1", stateFile, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := LoadState("lab1")
			if !errors.Is(err, ErrDamaged) || st != nil {
				t.Fatalf("LoadState = %v, %v; want ErrDamaged", st, err)
			}
			for _, want := range []string{statePath("lab1"), "topo down lab1", "topo up FILE"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
	os.Remove(statePath("lab1"))
	if _, err := LoadState("lab1"); !errors.Is(err, ErrNoState) {
		t.Errorf("LoadState without a file = %v, want ErrNoState", err)
	}
}
