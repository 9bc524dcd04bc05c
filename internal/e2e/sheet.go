package e2e

// Exercise sheets (examples/course/*/README.md) show the commands a
// student types and what they print, in fenced ```console blocks:
//
//	```console
//	# topo capture h2 arp -c 2 --timeout 10s &   # background: a second terminal
//	listening on h2:eth0, up to 262144 bytes per frame (Ctrl-C to stop)
//	16:09:00.254756 h2:eth0 < ARP   who-has 10.10.10.100 tell 10.10.10.10
//	...
//	# topo exec h1 -- ping -c1 10.10.10.100
//	PING 10.10.10.100 (10.10.10.100) 56(84) bytes of data.
//	```
//
// A line starting with "# " is a command (a shell line: pipes, ";" and
// a trailing "# comment" work); the lines under it, up to the next
// command or the end of the block, are what it prints, standard output
// and error together as a terminal shows them. A command ending in "&"
// runs in the background, as in a second terminal: the next command
// starts once it has printed its first line, and it must end by itself
// (capture with -c and --timeout) by the end of its block; its output
// is shown right under it. A line "..." in an output stands for any
// number of lines. Outputs are compared after Mask, which hides what
// changes from run to run.

import (
	"fmt"
	"regexp"
	"strings"
)

// SheetStep is one command of a sheet and the output shown under it.
type SheetStep struct {
	// Line is the command's line in the sheet, from 1.
	Line int
	// Cmd is the shell line without its "# " prompt and, for a
	// background command, without its "&".
	Cmd string
	// Background is set for a command that ended in "&".
	Background bool
	// Want is the output shown under the command.
	Want []string
	// Block numbers the console block the step is in, from 0.
	Block int
}

// Sheet is an exercise sheet: its lines and its console steps.
type Sheet struct {
	// Lines are the sheet's lines.
	Lines []string
	// Steps are the commands of its console blocks, in order.
	Steps []SheetStep
}

// backgroundRE finds the "&" that ends a background command, before an
// optional "# comment".
var backgroundRE = regexp.MustCompile(`\s&\s*(#.*)?$`)

// ParseSheet reads the console blocks of a sheet. A console block that
// does not start with a command is an error, with its line.
func ParseSheet(text string) (Sheet, error) {
	s := Sheet{Lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n")}
	in, block := false, -1
	for i, line := range s.Lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && trimmed == "```console":
			in, block = true, block+1
			if i+1 >= len(s.Lines) || !strings.HasPrefix(s.Lines[i+1], "# ") {
				return s, fmt.Errorf("line %d: a console block starts with a command (\"# ...\")", i+1)
			}
		case in && trimmed == "```":
			in = false
		case in && strings.HasPrefix(line, "# "):
			st := SheetStep{Line: i + 1, Cmd: strings.TrimPrefix(line, "# "), Block: block}
			if backgroundRE.MatchString(st.Cmd) {
				st.Background = true
				st.Cmd = strings.TrimSpace(backgroundRE.ReplaceAllString(st.Cmd, " $1"))
			}
			s.Steps = append(s.Steps, st)
		case in:
			st := &s.Steps[len(s.Steps)-1]
			st.Want = append(st.Want, line)
		}
	}
	if in {
		return s, fmt.Errorf("line %d: a console block is not closed with ```", len(s.Lines))
	}
	for i := range s.Steps {
		s.Steps[i].Want = trimBlank(s.Steps[i].Want)
	}
	return s, nil
}

// trimBlank drops the blank lines at the end of lines.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return lines
}

// masks hide what differs from run to run: times, MAC addresses (and
// the link-local addresses made from them), interface indexes, ICMP
// and IP ids, DNS query ids, TCP sequence numbers and ephemeral ports,
// the frames a capture saw but did not keep, the file a lab was brought
// up from, the pid of a running service in topo status; and in FRR's output (vtysh) dates, the ages of routes and
// sessions (00:00:09, 1m02s), timers, BGP table versions and the
// queue lengths of an OSPF neighbour; in iperf3's reports the stream
// id, the interval, the amounts, rates and retransmissions (they vary
// with the machine, and a lossy link's from run to run). Spaces are
// squeezed so that columns padded to a lab name's length still compare.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b\d{2}:\d{2}:\d{2}\.\d{6}\b`), "<time>"},
	{regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d+ \d{2}:\d{2}:\d{2} \d{4}\b`), "<date>"},
	{regexp.MustCompile(`(^|[\s,(])\d{2}:\d{2}:\d{2}([\s,)]|$)`), "$1<age>$2"},
	{regexp.MustCompile(`\b(version|version is) \d+\b`), "$1 <n>"},
	{regexp.MustCompile(`\b\d+m\d+s\b`), "<t>"},
	{regexp.MustCompile(`(Full/\S*\s.*:\S+)\s+\d+\s+\d+\s+\d+\s*$`), "$1 <n> <n> <n>"},
	{regexp.MustCompile(`^\[\s*\d+\]`), "[<n>]"},
	{regexp.MustCompile(`\b\d+\.\d+-\d+\.\d+\s+sec\b`), "<interval>"},
	{regexp.MustCompile(`\b\d+(\.\d+)? [KMGT]?Bytes\b`), "<size>"},
	{regexp.MustCompile(`\b\d+(\.\d+)? [KMGT]?bits/sec\b`), "<rate>"},
	{regexp.MustCompile(`(<rate>\s+)\d+(\s+sender)$`), "$1<n>$2"},
	{regexp.MustCompile(`\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b`), "<mac>"},
	{regexp.MustCompile(`\bfe80::[0-9a-f:]*[0-9a-f]`), "fe80::<iid>"},
	{regexp.MustCompile(`@if\d+\b`), "@if<n>"},
	{regexp.MustCompile(`^\d+: (\S+@if)`), "<n>: $1"},
	{regexp.MustCompile(`\(from /\S+\)`), "(from <file>)"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(/\d+(\.\d+)?)*\s?(ms|s|us|µs)\b`), "<t>"},
	{regexp.MustCompile(`\bid \d+\b`), "id <n>"},
	{regexp.MustCompile(`\b(query|response) 0x[0-9a-f]+\b`), "$1 0x<id>"},
	{regexp.MustCompile(`\b(seq|ack) \d{5,}\b`), "$1 <n>"},
	{regexp.MustCompile(`\b(\d+\.\d+\.\d+\.\d+)\.(3[2-9]|[4-5]\d|60)\d{3}\b`), "$1.<port>"},
	{regexp.MustCompile(`\b\d+ milliseconds\b`), "<t>"},
	{regexp.MustCompile(`\(\d+ seen\)`), "(<n> seen)"},
	{regexp.MustCompile(`^(\S+:\S+|total)( +\d+ +)\d+( +\d+\s*)$`), "$1$2<n>$3"},
	{regexp.MustCompile(`\b\d+sec\b`), "<t>"},
	{regexp.MustCompile(`^(\s*\S+/\S+\s+running\s+)\d+\b`), "$1<pid>"},
	{regexp.MustCompile(`\s+`), " "},
}

// Mask returns line with what differs from run to run replaced by
// placeholders (see masks) and its spaces squeezed.
func Mask(line string) string {
	for _, m := range masks {
		line = m.re.ReplaceAllString(line, m.with)
	}
	return strings.TrimSpace(line)
}

// MatchOutput reports whether got (an output, as lines) is what want
// (a sheet's output) shows, line by line after Mask; a want line "..."
// matches any number of lines. When they differ, it says where.
func MatchOutput(want, got []string) (bool, string) {
	got = trimBlank(got)
	if matchFrom(want, got) {
		return true, ""
	}
	var b strings.Builder
	b.WriteString("the sheet shows (masked):\n")
	for _, w := range want {
		b.WriteString("  " + Mask(w) + "\n")
	}
	b.WriteString("the command printed (masked):\n")
	for _, g := range got {
		b.WriteString("  " + Mask(g) + "\n")
	}
	return false, b.String()
}

// matchFrom matches want against got with "..." as a wildcard line.
func matchFrom(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "..." {
		for i := 0; i <= len(got); i++ {
			if matchFrom(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && Mask(want[0]) == Mask(got[0]) && matchFrom(want[1:], got[1:])
}

// Rewrite returns the sheet with the outputs of the steps in outputs
// (by the command's line) replaced: how a sheet's author takes the real
// output into it (go test -run TestCourse -course.update).
func (s Sheet) Rewrite(outputs map[int][]string) string {
	var out []string
	for i := 0; i < len(s.Lines); i++ {
		out = append(out, s.Lines[i])
		got, ok := outputs[i+1]
		if !ok {
			continue
		}
		out = append(out, trimBlank(got)...)
		// Skip the old output: up to the next command or the block's end.
		for i+1 < len(s.Lines) && !strings.HasPrefix(s.Lines[i+1], "# ") && strings.TrimSpace(s.Lines[i+1]) != "```" {
			i++
		}
	}
	return strings.Join(out, "\n") + "\n"
}
