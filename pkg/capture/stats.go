package capture

import (
	"fmt"
	"io"
	"time"
)

// IfaceStats are the counts of one captured interface.
type IfaceStats struct {
	// Name is "node:iface".
	Name string
	// Captured counts the frames written out: those the filter passed,
	// up to the count asked for.
	Captured uint64
	// Seen counts the frames the kernel handed over, filtered or not.
	Seen uint64
	// Dropped counts the frames the kernel dropped because topo's
	// ring was full: lost, never silently.
	Dropped uint64
	// Start and End are when the interface's capture began and ended.
	Start, End time.Time
	// Gone is set when the interface went away during the capture.
	Gone bool
}

// WriteSummary writes the counts at the end of a capture: one line for
// one interface, else a table with a total; "seen" columns only with a
// filter.
func WriteSummary(w io.Writer, stats []IfaceStats, filtered bool) {
	var total IfaceStats
	for _, s := range stats {
		total.Captured += s.Captured
		total.Seen += s.Seen
		total.Dropped += s.Dropped
	}
	if len(stats) == 0 {
		fmt.Fprintln(w, "no interface was captured")
		return
	}
	if len(stats) == 1 {
		s := stats[0]
		fmt.Fprintf(w, "%d %s captured on %s", s.Captured, plural(s.Captured, "frame"), s.Name)
		if filtered {
			fmt.Fprintf(w, " (%d seen)", s.Seen)
		}
		fmt.Fprintf(w, ", %d dropped by the kernel\n", s.Dropped)
		return
	}
	names := make([]string, len(stats))
	width := len("interface")
	for i, s := range stats {
		names[i] = s.Name
		if s.Gone {
			names[i] += " (gone)"
		}
		width = max(width, len(names[i]))
	}
	row := func(name, captured, seen, dropped string) {
		line := fmt.Sprintf("%-*s %9s", width, name, captured)
		if filtered {
			line += fmt.Sprintf(" %9s", seen)
		}
		fmt.Fprintf(w, "%s %9s\n", line, dropped)
	}
	num := func(n uint64) string { return fmt.Sprint(n) }
	row("interface", "captured", "seen", "dropped")
	for i, s := range stats {
		row(names[i], num(s.Captured), num(s.Seen), num(s.Dropped))
	}
	row("total", num(total.Captured), num(total.Seen), num(total.Dropped))
	fmt.Fprintln(w, "(dropped: by the kernel, for want of room in topo's buffer)")
}

func plural(n uint64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
