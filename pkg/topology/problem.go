package topology

import (
	"sort"
	"strings"
)

// Problem is one thing wrong (or, with Warning set, doubtful) in a
// topology file: where, what, and what to do about it.
type Problem struct {
	Pos     Pos
	Msg     string
	Hint    string
	Warning bool
}

// String renders the problem as "file:line:col: msg", the hint on a
// line of its own.
func (p Problem) String() string {
	var b strings.Builder
	if s := p.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString("\n    hint: ")
		b.WriteString(p.Hint)
	}
	return b.String()
}

// Problems is every problem found in a file. As an error it lists them
// all, one per line, in file order.
type Problems []Problem

// Error implements error.
func (ps Problems) Error() string {
	lines := make([]string, 0, len(ps))
	for _, p := range ps.sorted() {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the problems that are only warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

func (ps Problems) sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

// report collects problems while a file is decoded and validated.
type report struct {
	file  string
	probs Problems
	seen  map[Problem]bool
}

// errorf records a problem at a position of the file (its File is
// filled in here).
func (r *report) errorf(at Pos, hint, format string, args ...any) {
	at.File = r.file
	r.add(Problem{Pos: at, Msg: sprintf(format, args...), Hint: hint})
}

// add records a problem once: a field shared by both ends of a link is
// checked for each end but reported a single time.
func (r *report) add(p Problem) {
	if r.seen[p] {
		return
	}
	if r.seen == nil {
		r.seen = map[Problem]bool{}
	}
	r.seen[p] = true
	r.probs = append(r.probs, p)
}

func (r *report) warnf(at Pos, hint, format string, args ...any) {
	at.File = r.file
	r.add(Problem{Pos: at, Msg: sprintf(format, args...), Hint: hint, Warning: true})
}

// lineOnly is the position of a whole line, for problems YAML gives no
// node for (a syntax error, the file as a whole).
func lineOnly(line int) Pos { return Pos{Line: line} }

func (r *report) failed() bool { return len(r.probs.Errors()) > 0 }
