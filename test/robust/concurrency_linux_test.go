package robust

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
)

// treeLab is a 57-node lab (tree 2 7) named RunID-tag.
func treeLab(t *testing.T, tag string) *labT {
	l := newLab(t, tag, "")
	l.Gen("tree", "2", "7")
	return l
}

// waitMsg ends the line of a topo that waits for the lab's lock.
const waitMsg = "; waiting — Ctrl-C to stop"

// TestConcurrentUpSameLab runs two `topo up` of one lab at once. While
// a third holder has the lab's lock both say they wait; once it is
// released they run one after the other: one builds, the other finds
// nothing to do. Then the same without the held lock. Either way the
// lab ends complete: status up, plan empty, one namespace per node.
func TestConcurrentUpSameLab(t *testing.T) {
	l := treeLab(t, "same")
	release := l.holdLock()
	a, b := l.Start("up", l.File), l.Start("up", l.File)
	a.WaitOutput(t, waitMsg)
	b.WaitOutput(t, waitMsg)
	release()
	ra, rb := a.Wait(), b.Wait()
	if ra.Code != 0 || rb.Code != 0 {
		t.Fatalf("concurrent ups:\n%v\n%v", ra, rb)
	}
	built := strings.Contains(ra.Stdout, "is up:")
	if built == strings.Contains(rb.Stdout, "is up:") || !strings.Contains(ra.Stdout+rb.Stdout, "up to date") {
		t.Errorf("want one up to build the lab and the other to find it up to date:\n%v\n%v", ra, rb)
	}
	l.isComplete("after two waiting ups", 57)

	l.Must("down", l.Name)
	a, b = l.Start("up", l.File), l.Start("up", l.File)
	ra, rb = a.Wait(), b.Wait()
	if ra.Code != 0 || rb.Code != 0 {
		t.Fatalf("concurrent ups:\n%v\n%v", ra, rb)
	}
	l.isComplete("after two racing ups", 57)
}

// TestConcurrentUpTwoLabs builds two labs in one state directory at
// the same time: neither waits for the other and both end complete.
func TestConcurrentUpTwoLabs(t *testing.T) {
	l1, l2 := treeLab(t, "par1"), treeLab(t, "par2")
	l2.StateDir = l1.StateDir
	a, b := l1.Start("up", l1.File), l2.Start("up", l2.File)
	ra, rb := a.Wait(), b.Wait()
	if ra.Code != 0 || rb.Code != 0 {
		t.Fatalf("parallel ups of two labs:\n%v\n%v", ra, rb)
	}
	if strings.Contains(ra.Stderr+rb.Stderr, waitMsg) {
		t.Errorf("one lab waited for the other:\n%v\n%v", ra, rb)
	}
	l1.isComplete("lab 1", 57)
	l2.isComplete("lab 2", 57)
}

// TestDownAllDuringUp runs `topo down --all` while another lab is being
// built, in the same (private) state directory: the lab that was up is
// removed, and the one being built ends either complete or removed
// whole — never half. Twice: once with down started as soon as the
// building up holds its lab (down then waits for it and removes it),
// once with both started at the same moment.
func TestDownAllDuringUp(t *testing.T) {
	for _, tc := range []struct {
		desc          string
		waitForState  bool
		mustBeRemoved bool
	}{
		{"down once up holds the lab", true, true},
		{"both at once", false, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			other := newLab(t, "other", e2e.PairBody)
			l := treeLab(t, "built")
			l.StateDir = other.StateDir
			other.Up()

			p := l.Start("up", l.File)
			if tc.waitForState {
				state := filepath.Join(l.StateDir, l.Name, "state.json")
				deadline := time.Now().Add(30 * time.Second)
				for _, err := os.Stat(state); errors.Is(err, fs.ErrNotExist); _, err = os.Stat(state) {
					if time.Now().After(deadline) {
						t.Fatalf("up never wrote %s", state)
					}
					time.Sleep(time.Millisecond)
				}
			}
			down := l.Topo("down", "--all")
			r := p.Wait()
			if down.Code != 0 || r.Code != 0 {
				t.Fatalf("down --all during up:\n%v\n%v", down, r)
			}
			other.Gone("the lab that was up, after down --all")
			if _, err := os.Stat(filepath.Join(l.StateDir, l.Name)); err == nil {
				if tc.mustBeRemoved {
					t.Errorf("down --all started after up took the lab, but left it:\n%v", down)
				}
				l.isComplete("the lab down --all did not take", 57)
				l.Must("down", l.Name)
			}
			l.Gone("the lab being built")
		})
	}
}
