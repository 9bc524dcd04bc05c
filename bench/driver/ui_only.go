package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// uiOnly is `bench/run -ui-only`: what topo ui costs with a page open
// on 1,000 hosts (topo gen tree 3 10: 1,111 nodes), and how soon a link
// taken down in another process shows. It builds the lab (or uses
// lab, already up, when given), measures runs times, takes down what
// it built, prints a table and writes it to ui-results.md in the work
// directory. The machine's load average is printed with each run: on
// a shared machine, the figures move with it.
func (b *bench) uiOnly(lab string, quick bool) int {
	args := []string{"3", "10"}
	if quick {
		args = []string{"2", "10"}
	}
	if lab == "" {
		lab = fmt.Sprintf("%s-ui", b.id)
		path, _, err := b.gen(lab, nil, "tree", args...)
		if err != nil {
			b.say("bench: %v", err)
			return 1
		}
		res := b.up(path, lab)
		defer b.downAll()
		if res.err != nil {
			b.say("bench: topo up: %v: %s", res.err, lastLine(res.out))
			return 1
		}
		b.say("up in %.1fs", res.wall.Seconds())
	}
	// s2:s3 joins the root's first child to its first child (in a tree
	// of depth 2, s1:s2 the root to it): a link the picture draws even
	// when hosts are grouped.
	endpoint := "s2:s3"
	if quick {
		endpoint = "s1:s2"
	}
	var rows []string
	code := 0
	for i := 0; i < b.runs; i++ {
		before := loadavg()
		c := b.uiCost(lab, endpoint)
		after := loadavg()
		if c.err != nil {
			b.say("run %d: %v", i+1, c.err)
			code = 1
			continue
		}
		row := fmt.Sprintf("| %d | %.1f%% | %.1fs (%.0f%%) | %.1f%% | %d (%d traffic, %d pictures) | %s (%s) | %s (%s) | %s → %s |",
			i+1, c.idle, c.first.Seconds(), c.join, c.page, c.events, c.traffic, c.graphs, ms(c.downShown), ms(c.downCmd), ms(c.upShown), ms(c.upCmd), before, after)
		b.say("%s", row)
		rows = append(rows, row)
	}
	text := fmt.Sprintf("# topo ui on topo gen tree %s (%s)\n\n%s\n\n"+
		"| run | no page | first picture after (share of a core meanwhile) | then, one page open | events then, in %s | link down shown after (topo link took) | up shown after (topo link took) | load average (1, 5, 15 min) before → after |\n|---|---|---|---|---|---|---|---|\n%s\n",
		strings.Join(args, " "), time.Now().UTC().Format(time.RFC3339), machine(b.topo).line(), uiWindow, strings.Join(rows, "\n"))
	fmt.Print("\n" + text)
	if err := os.WriteFile(filepath.Join(b.work, "ui-results.md"), []byte(text), 0o644); err != nil {
		b.say("bench: %v", err)
		return 1
	}
	return code
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
