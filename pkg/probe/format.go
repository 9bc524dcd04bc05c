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
// A cell is "✓" when every address of the destination was reached from
// the source, "✗ REASON" with the first failure's reason otherwise, and
// "-" when no pair was asked (the diagonal). Results whose ToNode is
// empty get a column named after their address, after the nodes; sources
// missing from nodes get rows after theirs. Pure; no I/O but w.
func FormatMatrix(w io.Writer, nodes []string, results []Result) error {
	type cell struct {
		n      int
		failed *Result
	}
	rows, cols := append([]string(nil), nodes...), append([]string(nil), nodes...)
	seenRow, seenCol := make(map[string]bool), make(map[string]bool)
	for _, n := range nodes {
		seenRow[n], seenCol[n] = true, true
	}
	cells := make(map[[2]string]*cell)
	for i := range results {
		r := &results[i]
		to := columnOf(r)
		if !seenRow[r.From] {
			seenRow[r.From] = true
			rows = append(rows, r.From)
		}
		if !seenCol[to] {
			seenCol[to] = true
			cols = append(cols, to)
		}
		c := cells[[2]string{r.From, to}]
		if c == nil {
			c = &cell{}
			cells[[2]string{r.From, to}] = c
		}
		c.n++
		if !r.Reached && c.failed == nil {
			c.failed = r
		}
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
			c := cells[[2]string{from, to}]
			switch {
			case c == nil:
				fmt.Fprint(tw, "\t-")
			case c.failed == nil:
				fmt.Fprint(tw, "\t✓")
			default:
				fmt.Fprint(tw, "\t✗ "+string(reasonOrError(c.failed.Reason)))
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write matrix: %w", err)
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
// "From 10.0.0.2 icmp_seq=1 no reply (icmp)". Pure.
func FormatPingReply(r PingReply) string {
	if r.ICMP != nil {
		who := r.ICMP.From.String()
		if r.ICMP.FromNode != "" {
			who = r.ICMP.FromNode + " (" + who + ")"
		}
		return fmt.Sprintf("From %s icmp_seq=%d: %s", who, r.Seq, r.ICMP.Text())
	}
	if !r.Received {
		return fmt.Sprintf("From %s icmp_seq=%d no reply (%s)", r.From, r.Seq, reasonOrError(r.Reason))
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
