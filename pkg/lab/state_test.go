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

	"github.com/topo-lab/topo/pkg/topology"
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

// TestWriteAtomic: writeAtomic creates its directory 0700 and the file
// with the mode asked, replaces the file by a new one (a rename: the
// inode changes) rather than rewriting it, and leaves no temporary
// file behind.
func TestWriteAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	path := filepath.Join(dir, "state.json")
	if err := writeAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	first := inodeOf(t, path)
	if err := writeAtomic(path, []byte("two"), 0o600); err != nil {
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

// TestWriteAtomicNeverPartial reads the file while it is replaced, over
// and over, by one of two large contents: every read sees one of them
// whole.
func TestWriteAtomicNeverPartial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab", "state.json")
	a, b := bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<20)
	if err := writeAtomic(path, a, 0o600); err != nil {
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
		if err := writeAtomic(path, content, 0o600); err != nil {
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
			if err := writeAtomic(statePath("lab1"), []byte(tc.content), 0o600); err != nil {
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

// TestRecords: the journal round-trips, the last line of a node wins,
// lines that prove nothing (or are cut short) are skipped, syncRecords
// adds what the state knows and compacts, and recoverState builds a
// state from what remains.
func TestRecords(t *testing.T) {
	useRoot(t)
	if err := recordNamespace("lab1", "h1", 4026531840); err != nil {
		t.Fatal(err)
	}
	if err := recordNamespace("lab1", "s1", 4026531841); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(recordsPath("lab1"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("h2 garbage\nh3\nbad_name 6\n../x 7\nh4 0\n\n")
	f.Close()
	got, err := recordedNamespaces("lab1")
	if err != nil || len(got) != 2 || got["h1"] != 4026531840 || got["s1"] != 4026531841 {
		t.Fatalf("recordedNamespaces = %v, %v", got, err)
	}
	if fi, _ := os.Stat(recordsPath("lab1")); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", fi.Mode())
	}
	st, ok, err := recoverState("lab1", nil)
	if err != nil || !ok || len(st.Lab.Nodes) != 2 || st.Namespaces["h1"] != 4026531840 || st.Lab.Name != "lab1" {
		t.Fatalf("recoverState = %+v, %v, %v", st, ok, err)
	}
	if err := forgetNamespace("lab1", "h1"); err != nil {
		t.Fatal(err)
	}
	if err := forgetNamespace("lab1", "h1"); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
	if got, _ := recordedNamespaces("lab1"); len(got) != 1 || got["s1"] == 0 {
		t.Errorf("after forget: %v", got)
	}
	// A line cut short by a kill mid-write is not believed.
	f, _ = os.OpenFile(recordsPath("lab1"), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("h9 40265318")
	f.Close()
	if got, _ := recordedNamespaces("lab1"); got["h9"] != 0 {
		t.Errorf("a line without its newline was read: %v", got)
	}

	// syncRecords adds the namespaces the state knows and the journal
	// does not (or with another inode), and keeps what only it knows.
	st = &State{Lab: &topology.Lab{Name: "lab1"}, Namespaces: map[string]uint64{"h5": 11, "s1": 12, "h6": 0}}
	if err := syncRecords(st); err != nil {
		t.Fatal(err)
	}
	got, lines, err := readRecords("lab1")
	if err != nil || len(got) != 2 || got["h5"] != 11 || got["s1"] != 12 || lines != 2 {
		t.Errorf("after syncRecords: %v (%d lines), %v", got, lines, err)
	}
	// It compacts a journal grown long with churn.
	for i := range 40 {
		recordNamespace("lab1", "h7", uint64(100+i))
	}
	if err := syncRecords(st); err != nil {
		t.Fatal(err)
	}
	if got, lines, _ := readRecords("lab1"); lines != 3 || got["h7"] != 139 {
		t.Errorf("after compaction: %v in %d lines, want 3 lines with h7 139", got, lines)
	}
	if _, ok, err := recoverState("nolab", nil); ok || err != nil {
		t.Errorf("recoverState of a lab without records = %v, %v", ok, err)
	}
}
