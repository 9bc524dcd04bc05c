package topology

import (
	"sort"
	"strings"
	"unicode/utf8"
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
// filled in here). String arguments, mostly text from the file, are
// shown as shown says.
func (r *report) errorf(at Pos, hint, format string, args ...any) {
	at.File = r.file
	r.add(Problem{Pos: at, Msg: sprintf(format, showArgs(args)...), Hint: hint})
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
	r.add(Problem{Pos: at, Msg: sprintf(format, showArgs(args)...), Hint: hint, Warning: true})
}

// shownLen is the most characters of one value from the file that a
// problem shows.
const shownLen = 60

// shown is s as a problem shows it: its first line, at most shownLen
// characters of it, and "…" where it was cut. Text from the file is
// quoted in problems, and a file that is no lab at all (`topo down -f
// /etc/passwd`) would otherwise come back whole in the error.
func shown(s string) string {
	cut := false
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s, cut = s[:i], true
	}
	if utf8.RuneCountInString(s) > shownLen {
		r := []rune(s)
		s, cut = string(r[:shownLen]), true
	}
	if cut {
		s += "…"
	}
	return s
}

// showArgs returns args with every string shown (see shown).
func showArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = shown(s)
		}
		out[i] = a
	}
	return out
}

// lineOnly is the position of a whole line, for problems YAML gives no
// node for (a syntax error, the file as a whole).
func lineOnly(line int) Pos { return Pos{Line: line} }

func (r *report) failed() bool { return len(r.probs.Errors()) > 0 }
