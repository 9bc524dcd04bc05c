package probe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// FormatMatrix writes the results of a Check as a matrix: one row per
// source node, one column per destination node, in the order of nodes.
// A node is reached when any of its addresses answered (see cells): its
// cell is "✓" when all did, "✓*" when some did not (FormatMissing
// lists them), "✗ REASON" with the first failure's reason when none
// did, and "-" when no pair was asked (the diagonal). Results whose
// ToNode is empty get a column named after their address, after the
// nodes; sources missing from nodes get rows after theirs. Pure; no
// I/O but w.
func FormatMatrix(w io.Writer, nodes []string, results []Result) error {
	rows, cols := append([]string(nil), nodes...), append([]string(nil), nodes...)
	seenRow, seenCol := make(map[string]bool), make(map[string]bool)
	for _, n := range nodes {
		seenRow[n], seenCol[n] = true, true
	}
	byPair := map[[2]string]cell{}
	for _, c := range cells(results) {
		if !seenRow[c.From] {
			seenRow[c.From] = true
			rows = append(rows, c.From)
		}
		if !seenCol[c.To] {
			seenCol[c.To] = true
			cols = append(cols, c.To)
		}
		byPair[[2]string{c.From, c.To}] = c
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "from \\ to")
	for _, c := range cols {
		fmt.Fprint(tw, "\t"+c)
	}
	fmt.Fprintln(tw)
	for _, from := range rows {
		fmt.Fprint(tw, from)
		for _, to := range cols {
			c, ok := byPair[[2]string{from, to}]
			switch {
			case !ok:
				fmt.Fprint(tw, "\t-")
			case c.Reached && len(c.Missing) == 0:
				fmt.Fprint(tw, "\t✓")
			case c.Reached:
				fmt.Fprint(tw, "\t✓*")
			default:
				fmt.Fprint(tw, "\t✗ "+string(reasonOrError(c.Reason)))
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write matrix: %w", err)
	}
	return nil
}

// cell is the verdict on one source and one destination node of a
// Check: reached when any of the node's addresses answered.
type cell struct {
	From, To string
	Reached  bool
	// Missing are the addresses that did not answer, in order.
	Missing []Result
	// Reason is the first missing address's reason.
	Reason Reason
}

// cells groups results by source and destination node (or address,
// for results without ToNode), in the order they first appear. Pure.
func cells(results []Result) []cell {
	var out []cell
	at := map[[2]string]int{}
	for _, r := range results {
		k := [2]string{r.From, columnOf(&r)}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, cell{From: k[0], To: k[1]})
		}
		c := &out[i]
		if r.Reached {
			c.Reached = true
			continue
		}
		if len(c.Missing) == 0 {
			c.Reason = reasonOrError(r.Reason)
		}
		c.Missing = append(c.Missing, r)
	}
	return out
}

// FormatMissing lists, under a matrix, each pair that failed with why
// and the ICMP error that came back, if any: "✗ h1 → h3 10.1.3.10: r1
// has no route to 10.1.3.0/24 [r1 (10.1.1.1): destination net
// unreachable]", and for a
// node reached at another address, "* h1 → h3 fd00:3::10 did not
// answer: ...". At most most lines; a last line counts the rest. Pure
// but for writing to w.
func FormatMissing(w io.Writer, results []Result, most int) error {
	var b strings.Builder
	n := 0
	for _, c := range cells(results) {
		for _, r := range c.Missing {
			if n++; n > most {
				continue
			}
			why := r.Why
			if why == "" {
				why = r.Error
			}
			if why == "" {
				why = string(reasonOrError(r.Reason))
			}
			if r.ICMP != nil && why != r.ICMP.String() {
				why += " [" + r.ICMP.String() + "]"
			}
			if c.Reached {
				fmt.Fprintf(&b, "* %s → %s %s did not answer (the node did, at another address): %s\n", c.From, c.To, r.To, why)
			} else {
				fmt.Fprintf(&b, "✗ %s → %s %s: %s\n", c.From, c.To, r.To, why)
			}
		}
	}
	if n > most {
		fmt.Fprintf(&b, "... and %d more (--json lists all, with each path hop by hop)\n", n-most)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write failures: %w", err)
	}
	return nil
}

// columnOf is the matrix column of a result.
func columnOf(r *Result) string {
	if r.ToNode != "" {
		return r.ToNode
	}
	return r.To.String()
}

func reasonOrError(r Reason) Reason {
	if r == ReasonNone {
		return ReasonError
	}
	return r
}

// Summary returns Mininet's pingall verdict for the results, e.g.
// "*** Results: 0% dropped (4032/4032 received)". The percentage is
// truncated, so it reads 0% only when nothing was dropped. Pure.
func Summary(results []Result) string {
	got := 0
	for _, r := range results {
		if r.Reached {
			got++
		}
	}
	pct := 0
	if len(results) > 0 {
		pct = (len(results) - got) * 100 / len(results)
	}
	return fmt.Sprintf("*** Results: %d%% dropped (%d/%d received)", pct, got, len(results))
}

// FormatPingReply renders one PingReply the way ping prints it:
// "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.052 ms",
// "From r1 (10.1.1.1) icmp_seq=1: destination net unreachable", or
// "no answer from 10.0.0.2 for icmp_seq=1" (as ping -O says it; why
// comes after the statistics, from the walk of the path). Pure.
func FormatPingReply(r PingReply) string {
	if r.ICMP != nil {
		who := r.ICMP.From.String()
		if r.ICMP.FromNode != "" {
			who = r.ICMP.FromNode + " (" + who + ")"
		}
		return fmt.Sprintf("From %s icmp_seq=%d: %s", who, r.Seq, r.ICMP.Text())
	}
	if !r.Received {
		return fmt.Sprintf("no answer from %s for icmp_seq=%d", r.From, r.Seq)
	}
	return fmt.Sprintf("%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms", r.Size, r.From, r.Seq, r.TTL, ms(r.RTT))
}

// FormatPingStats writes ping's closing statistics for st. Pure but
// for writing to w.
func FormatPingStats(w io.Writer, st *PingStats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s ping statistics ---\n", st.Dst)
	fmt.Fprintf(&b, "%d packets transmitted, %d received, %s%% packet loss\n",
		st.Sent, st.Received, trimFloat(st.Loss()*100))
	if st.Received > 0 {
		fmt.Fprintf(&b, "rtt min/avg/max = %s/%s/%s ms\n", ms(st.MinRTT), ms(st.AvgRTT), ms(st.MaxRTT))
	} else if st.Reason != ReasonNone {
		fmt.Fprintf(&b, "failed: %s", st.Reason)
		if st.Error != "" {
			fmt.Fprintf(&b, ": %s", st.Error)
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write ping statistics: %w", err)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}
