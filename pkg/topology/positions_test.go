package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// caretWant is a problem a testdata file declares: on line, at col,
// with a message holding msg.
type caretWant struct {
	line, col int
	msg       string
}

// caretWants reads the problems a testdata file declares with caret
// comments, as a compiler's test suite would:
//
//	    addresses: [10.0.0.1/24, 10.0.0.1/24]
//	#                            ^ address 10.0.0.1 is used twice
//
// The caret's column is the problem's; its line is the nearest line
// above that is not a caret comment; the text after the caret is a
// phrase of the message ("warning: " first for a warning). A problem
// at column 1 cannot be drawn (the '#' is there); such problems are
// pinned in TestParseInvalid instead.
func caretWants(data string) []caretWant {
	var out []caretWant
	last := 0
	for i, line := range strings.Split(data, "\n") {
		rest, isComment := strings.CutPrefix(line, "#")
		if c := strings.IndexByte(line, '^'); isComment && c > 0 && strings.TrimSpace(rest[:c-1]) == "" {
			out = append(out, caretWant{line: last, col: c + 1, msg: strings.TrimSpace(line[c+1:])})
			continue
		}
		last = i + 1
	}
	return out
}

// TestProblemPositions parses every testdata/invalid-*.yaml file, one
// per kind of problem, and checks that it yields exactly the problems
// its caret comments draw, each at the line and column of the value
// that is wrong. A testdata/lint-*.yaml file is valid but for the
// warnings it draws.
func TestProblemPositions(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/invalid-*.yaml files (%v)", err)
	}
	lints, _ := filepath.Glob("testdata/lint-*.yaml")
	files = append(files, lints...)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wants := caretWants(string(data))
			if len(wants) == 0 {
				t.Fatalf("%s draws no problem (a \"#   ^ message\" line under the value)", file)
			}
			_, warnings, err := Parse(file, data)
			var got Problems
			if strings.HasPrefix(filepath.Base(file), "lint-") {
				if err != nil {
					t.Fatalf("Parse refused %s: %v", file, err)
				}
				got, err = warnings, warnings
			} else {
				if err == nil {
					t.Fatalf("Parse accepted %s", file)
				}
				got = problemsOf(t, err)
			}
			used := make([]bool, len(got))
			for _, w := range wants {
				found := false
				for i, p := range got {
					msg := p.Msg
					if p.Warning {
						msg = "warning: " + msg
					}
					if !used[i] && p.Pos.Line == w.line && p.Pos.Col == w.col && strings.Contains(msg, w.msg) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("no problem at %d:%d saying %q", w.line, w.col, w.msg)
				}
			}
			for i, p := range got {
				if p.Pos.File != file {
					t.Errorf("problem names file %q, want %q: %s", p.Pos.File, file, p)
				}
				if !used[i] {
					t.Errorf("problem the file does not draw: %s", p)
				}
			}
			if t.Failed() {
				t.Logf("all problems:\n%v", err)
			}
		})
	}
}

func TestCaretWants(t *testing.T) {
	got := caretWants(y(
		"a: [1, 2]",
		"#      ^ two",
		"#   ^ one",
		"# a comment with a ^ in it",
		"b: 3",
		"#  ^ three",
	))
	want := []caretWant{{1, 8, "two"}, {1, 5, "one"}, {5, 4, "three"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPosString(t *testing.T) {
	for _, c := range []struct {
		p    Pos
		want string
	}{
		{Pos{}, ""},
		{Pos{File: "lab.yaml"}, "lab.yaml"},
		{Pos{File: "lab.yaml", Line: 12}, "lab.yaml:12"},
		{Pos{File: "lab.yaml", Line: 12, Col: 7}, "lab.yaml:12:7"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.p, got, c.want)
		}
	}
}

// TestProblemsInFileOrder checks that problems on one line are listed
// by column.
func TestProblemsInFileOrder(t *testing.T) {
	ps := Problems{
		{Pos: Pos{File: "f", Line: 3, Col: 9}, Msg: "c"},
		{Pos: Pos{File: "f", Line: 3, Col: 2}, Msg: "b"},
		{Pos: Pos{File: "f", Line: 1}, Msg: "a"},
	}
	if got, want := ps.Error(), "f:1: a\nf:3:2: b\nf:3:9: c"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
