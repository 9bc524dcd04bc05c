package lab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// gateLab makes the state directory of a lab holding a state file and
// opens Root and the lab's directory as a start (startIn) would.
func gateLab(t *testing.T, lab string) (root, dir *os.File) {
	t.Helper()
	useRoot(t)
	if err := makeLabSubdir(lab, "exec"); err != nil {
		t.Fatal(err)
	}
	root, err := openRoot(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	dir, err = openSubdir(root, lab, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	if err := writeFileIn(dir, stateFile, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root, dir
}

// TestGateToStartMakesTheGateOfALabUp: a lab with its state and no gate
// file yet (no down or node removal has been) gets one, and the start
// goes ahead.
func TestGateToStartMakesTheGateOfALabUp(t *testing.T) {
	root, dir := gateLab(t, "g1")
	release, err := gateToStart(context.Background(), root, dir, "g1")
	if err != nil {
		t.Fatalf("gateToStart on a lab that is up: %v", err)
	}
	release()
	if !existsIn(dir, gateFile) {
		t.Error("gateToStart did not make the gate file")
	}
}

// TestGateToStartRefusesOnceDownRemovedTheState: a start that opened the
// lab's directory before down removed its state, and comes to the gate
// after, is refused (errTakenDown) and makes nothing in the directory,
// whether down already removed the gate too or not: a gate made then
// would be one down never held, and would keep down from removing the
// directory.
func TestGateToStartRefusesOnceDownRemovedTheState(t *testing.T) {
	for _, gateLeft := range []bool{false, true} {
		root, dir := gateLab(t, "g2")
		if gateLeft {
			f, err := openFileIn(dir, gateFile, unix.O_RDONLY|unix.O_CREAT, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		if err := removeAllIn(dir, stateFile); err != nil {
			t.Fatal(err)
		}
		_, err := gateToStart(context.Background(), root, dir, "g2")
		if !errors.Is(err, errTakenDown) {
			t.Errorf("gate left %v: gateToStart after the state went: %v, want an error wrapping %q", gateLeft, err, errTakenDown)
		}
		if got := existsIn(dir, gateFile); got != gateLeft {
			t.Errorf("gate left %v: after a refused start, the gate file exists: %v", gateLeft, got)
		}
	}
}

// TestRemoveAllInEmptiesWhatAppears: removing a lab's directory while
// something is made in it (a start's gate file between the listing and
// the rmdir) empties it again and removes it; something that keeps
// filling it gets an error that says the directory is not empty after
// emptyRounds tries, not a hang.
func TestRemoveAllInEmptiesWhatAppears(t *testing.T) {
	for _, tc := range []struct {
		appears int // how many times a file appears
		ok      bool
	}{{0, true}, {1, true}, {3, true}, {emptyRounds - 1, true}, {emptyRounds, false}} {
		base := t.TempDir()
		top, err := os.Open(base)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(base, "lab", "exec"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, "lab", "exec", "h1.log"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		made := 0
		beforeRmdir = func(d *os.File) {
			if filepath.Base(d.Name()) == "lab" && made < tc.appears {
				made++
				f, err := openFileIn(d, gateFile, unix.O_RDONLY|unix.O_CREAT, 0o600)
				if err != nil {
					t.Error(err)
					return
				}
				f.Close()
			}
		}
		err = removeAllIn(top, "lab")
		beforeRmdir = nil
		top.Close()
		_, statErr := os.Lstat(filepath.Join(base, "lab"))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%d files appearing: removeAllIn: %v", tc.appears, err)
		case tc.ok && !errors.Is(statErr, os.ErrNotExist):
			t.Errorf("%d files appearing: the directory is still there (%v)", tc.appears, statErr)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "directory not empty")):
			t.Errorf("%d files appearing: removeAllIn said %v, want directory not empty", tc.appears, err)
		}
	}
}
