package robust

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// nobody is the unprivileged user who prepares the attacks below, as a
// real one would: files it makes are its own, and it can write only
// where anyone can.
const nobody = 65534

// asNobody runs sh -c script as nobody; it fails t when the script
// fails.
func asNobody(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("as nobody: %s: %v\n%s", script, err, out)
	}
}

// reachable is t.TempDir, root's but open to everyone for reading and
// searching (a test's temporary directories are 0700), so that nobody
// can reach what is made in it.
func reachable(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// openDir makes a directory anyone can write to (like /tmp: sticky),
// for nobody to work in; its parents are root's.
func openDir(t *testing.T) string {
	t.Helper()
	dir := reachable(t)
	if err := syscall.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// victim is what root's topo must never touch: a directory with a file
// in it, and a file, each the target of links nobody plants.
type victim struct{ dir, file string }

func newVictim(t *testing.T) victim {
	t.Helper()
	base := t.TempDir()
	v := victim{dir: filepath.Join(base, "dir"), file: filepath.Join(base, "file")}
	if err := os.Mkdir(v.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{filepath.Join(v.dir, "keep"): "keep\n", v.file: "root's file\n"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// snapshot lists everything of the victim: names, modes, owners and
// contents.
func (v victim) snapshot(t *testing.T) string {
	t.Helper()
	var lines []string
	for _, root := range []string{v.dir, v.file} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				lines = append(lines, fmt.Sprintf("%s: %v", path, err))
				return nil
			}
			fi, _ := os.Lstat(path)
			st := fi.Sys().(*syscall.Stat_t)
			line := fmt.Sprintf("%s %v %d:%d", path, fi.Mode(), st.Uid, st.Gid)
			if fi.Mode().IsRegular() {
				data, _ := os.ReadFile(path)
				line += " " + string(data)
			}
			lines = append(lines, line)
			return nil
		})
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// lockDown makes everything under dir root's and writable by root only,
// without following a link: what an administrator would do to a
// directory someone else could write, without looking at what it holds.
func lockDown(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, 0, 0); err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o700)
		}
		if d.Type().IsRegular() {
			return os.Chmod(path, 0o600)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// execBody is PairBody with an exec command on h1, so that up writes
// h1's exec log.
var execBody = strings.Replace(e2e.PairBody, "  h1: {}\n", "  h1: {exec: [\"echo from h1\"]}\n", 1)

// refused runs topo with the state directory stateDir and fails t unless
// it exits non-zero saying "unsafe state directory" and each of want.
func (l *labT) refused(stateDir string, want []string, args ...string) {
	l.T.Helper()
	r := e2e.Run(l.T, stateDir, nil, args...)
	noPanic(l.T, r)
	if r.Code == 0 {
		l.T.Errorf("accepted an unsafe state directory:\n%v", r)
		return
	}
	for _, w := range append([]string{"unsafe state directory"}, want...) {
		if !strings.Contains(r.Stderr, w) {
			l.T.Errorf("does not say %q:\n%v", w, r)
		}
	}
}

// TestStateDirUnsafe: a state directory (TOPO_STATE_DIR) that a user
// other than root could have written, or reached through a link such
// a user made, is refused by every command with a message naming the
// directory and why, and nothing is built, read or written: not the
// lab, and not the target of what that user planted in it.
func TestStateDirUnsafe(t *testing.T) {
	l := newLab(t, "unsafe", execBody)
	v := newVictim(t)
	before := v.snapshot(t)
	open := openDir(t)
	plant := func(state string) string {
		return fmt.Sprintf("ln -s %s %s/%s && ln -s %s %s/other", v.dir, state, l.Name, v.file, state)
	}
	// An administrator's state directory, 0777 by mistake or group
	// writable, that nobody filled.
	shared := func(mode uint32) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := filepath.Join(reachable(t), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Chmod(dir, mode); err != nil { // mode as chmod(1) has it
				t.Fatal(err)
			}
			if mode&0o002 != 0 {
				asNobody(t, plant(dir))
			}
			return dir
		}
	}
	for _, tc := range []struct {
		desc  string
		state func(t *testing.T) string
		want  []string
	}{{
		desc: "made by nobody",
		state: func(t *testing.T) string {
			dir := filepath.Join(open, "nobodys")
			asNobody(t, "mkdir -m 700 "+dir+" && "+plant(dir))
			return dir
		},
		want: []string{"nobodys is owned by uid 65534, not root"},
	}, {
		desc:  "world-writable",
		state: shared(0o777),
		want:  []string{"state is writable by group or others (mode 0777)"},
	}, {
		desc:  "world-writable and sticky",
		state: shared(0o1777),
		want:  []string{"state is writable by group or others (mode 1777)"},
	}, {
		desc:  "group-writable",
		state: shared(0o770),
		want:  []string{"(mode 0770)"},
	}, {
		desc: "under a directory of nobody's",
		state: func(t *testing.T) string {
			mine := filepath.Join(open, "mine")
			asNobody(t, "mkdir -m 755 "+mine)
			dir := filepath.Join(mine, "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			return dir
		},
		want: []string{"mine is owned by uid 65534, not root", "could put another directory in the state directory's place"},
	}, {
		desc: "through nobody's link",
		state: func(t *testing.T) string {
			real := filepath.Join(t.TempDir(), "real")
			if err := os.Mkdir(real, 0o700); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(open, "link")
			asNobody(t, "ln -s "+real+" "+link)
			return filepath.Join(link, "state")
		},
		want: []string{"link is a symbolic link", "give it a path without symbolic links"},
	}, {
		desc:  "a relative path",
		state: func(t *testing.T) string { return "state" },
		want:  []string{`TOPO_STATE_DIR "state" is not an absolute path`},
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			state := tc.state(t)
			for _, args := range [][]string{
				{"up", l.File},
				{"status"},
				{"status", l.Name},
				{"exec", "--lab", l.Name, "h1", "--", "true"},
				{"link", "--lab", l.Name, "h1:eth0", "down"},
				{"down", l.Name},
				{"down", "--all"},
			} {
				t.Run(args[0], func(t *testing.T) {
					l.in(t).refused(state, tc.want, args...)
				})
			}
			if left := testns.NetnsFiles(l.Name + "-"); len(left) > 0 {
				t.Errorf("namespaces were made: %v", left)
			}
			if after := v.snapshot(t); after != before {
				t.Errorf("the target of nobody's links changed:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestStateDirPlanted: links (and a FIFO, and a hard link) that nobody
// planted in a state directory it could write, which root then made
// its own without looking inside (lockDown), are never followed: up,
// exec, status and down refuse, naming the entry, before they build or
// remove anything, and what the links point at stays as it was.
func TestStateDirPlanted(t *testing.T) {
	l := newLab(t, "planted", execBody)
	v := newVictim(t)
	before := v.snapshot(t)
	open := openDir(t)
	nobodysFile := filepath.Join(open, "nobodys-file")
	asNobody(t, "echo nobody > "+nobodysFile)
	for _, tc := range []struct {
		desc, plant, want string
	}{
		{"the lab's directory", "ln -s VDIR LAB", "LAB is a symbolic link"},
		{"the state file", "mkdir LAB && ln -s VFILE LAB/state.json", "state.json is a symbolic link"},
		{"the namespace records", "mkdir LAB && ln -s VFILE LAB/namespaces", "namespaces is a symbolic link"},
		{"the hosts file", "mkdir LAB && ln -s VFILE LAB/hosts", "hosts is a symbolic link"},
		{"the holder file", "mkdir LAB && ln -s VFILE LAB/holder", "holder is a symbolic link"},
		{"the start gate", "mkdir LAB && ln -s VFILE LAB/gate", "gate is a symbolic link"},
		{"the hostname directory", "mkdir LAB && ln -s VDIR LAB/uts", "uts is a symbolic link"},
		{"a hostname", "mkdir -p LAB/uts && ln -s VFILE LAB/uts/h1", "h1 is a symbolic link"},
		{"the exec log directory", "mkdir LAB && ln -s VDIR LAB/exec", "exec is a symbolic link"},
		{"an exec log", "mkdir -p LAB/exec && ln -s VFILE LAB/exec/h1.log", "h1.log is a symbolic link"},
		{"a FIFO for the state file", "mkdir LAB && mkfifo LAB/state.json", "state.json is neither a directory nor a regular file"},
		{"a hard link", "mkdir LAB && ln NFILE LAB/namespaces", "namespaces has 2 hard links"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			state := filepath.Join(reachable(t), "state")
			if err := os.Mkdir(state, 0o700); err != nil {
				t.Fatal(err)
			}
			os.Chmod(state, 0o777) // for nobody, for a while
			script := strings.NewReplacer("VDIR", v.dir, "VFILE", v.file, "NFILE", nobodysFile, "LAB", filepath.Join(state, l.Name)).Replace(tc.plant)
			asNobody(t, script)
			lockDown(t, state)
			nobodyBefore, _ := os.ReadFile(nobodysFile)
			want := strings.ReplaceAll(tc.want, "LAB", l.Name)
			for _, args := range [][]string{{"up", l.File}, {"down", l.Name}} {
				l.refused(state, []string{want}, args...)
			}
			// Commands that do not lock the lab may find nothing to do
			// (the lab is not up), but never follow what was planted.
			for _, args := range [][]string{{"exec", "--lab", l.Name, "h1", "--", "true"}, {"status"}, {"status", l.Name}} {
				r := e2e.Run(t, state, nil, args...)
				noPanic(t, r)
				if r.Code == 0 && args[0] == "exec" {
					t.Errorf("exec ran in a lab whose state was planted:\n%v", r)
				}
			}
			if left := testns.NetnsFiles(l.Name + "-"); len(left) > 0 {
				t.Errorf("namespaces were made: %v", left)
			}
			if after := v.snapshot(t); after != before {
				t.Errorf("the target of nobody's link changed:\n%s\nwas\n%s", after, before)
			}
			if after, _ := os.ReadFile(nobodysFile); string(after) != string(nobodyBefore) {
				t.Errorf("the file nobody hard-linked changed: %q, was %q", after, nobodyBefore)
			}
		})
	}
}
