package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/topo-lab/topo/pkg/lab"
)

func gradeSample() gradeReport {
	return gradeReport{Lab: "bob", File: "grade.yaml", Earned: 2, Points: 13, Holds: 3, Checks: 5, Items: []lab.Graded{
		{Check: "node h1 exists", Kind: "node", Line: 1, Holds: true, Why: "a host", Points: 1, Earned: 1},
		{Check: "node r2 exists", Kind: "node", Line: 1, Why: "no node r2", Points: 2},
		{Check: "web holds 10.0.3.80/24", Kind: "address", Line: 3, Holds: true, Why: "on eth0", Points: 0},
		{Check: "h1 must reach web via r1, r2", Kind: "path", Line: 5, Why: "hop 1 is r3, not r1: h1 → r3 → web", Points: 9,
			Detail: []string{"hop 1  r3 (10.0.1.1)  time exceeded   <- expected r1", "hop 2  web (10.0.3.80)  reached"}},
		{Check: "h1 must connect to web tcp/80", Kind: "tcp", Line: 6, Holds: true, Why: "connected in 0.2 ms", Points: 1, Earned: 1},
	}}
}

// TestWriteGrade pins the three forms of a grade: --score's columns and
// its last line (what a teacher's loop collects), the marks, and JSON;
// nodes and addresses worth other than 1 point (nodes:, addresses:
// entries with points:) included.
func TestWriteGrade(t *testing.T) {
	var out bytes.Buffer
	writeGrade(&out, gradeSample(), gradeOpts{score: true})
	want := ` 1/1  node h1 exists
 0/2  node r2 exists: no node r2
 0/0  web holds 10.0.3.80/24
 0/9  h1 must reach web via r1, r2: hop 1 is r3, not r1: h1 → r3 → web
 1/1  h1 must connect to web tcp/80
score bob 2/13
`
	if out.String() != want {
		t.Errorf("--score:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	writeGrade(&out, gradeSample(), gradeOpts{})
	want = `✓ node h1 exists: a host
✗ node r2 exists: no node r2
✓ web holds 10.0.3.80/24: on eth0
✗ h1 must reach web via r1, r2: hop 1 is r3, not r1: h1 → r3 → web
    hop 1  r3 (10.0.1.1)  time exceeded   <- expected r1
    hop 2  web (10.0.3.80)  reached
✓ h1 must connect to web tcp/80: connected in 0.2 ms
*** bob: 3 of 5 checks hold, 2 of 13 points
`
	if out.String() != want {
		t.Errorf("marks:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	writeGrade(&out, gradeSample(), gradeOpts{json: true})
	var back struct {
		Lab     string
		Earned  int
		Points  int
		Results []struct {
			Check  string
			Kind   string
			Line   int
			Holds  bool
			Why    string
			Points int
			Earned int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Lab != "bob" || back.Earned != 2 || back.Points != 13 || len(back.Results) != 5 ||
		back.Results[1].Why != "no node r2" || back.Results[1].Points != 2 || back.Results[1].Earned != 0 ||
		back.Results[2].Kind != "address" || !back.Results[2].Holds || back.Results[2].Points != 0 ||
		back.Results[3].Kind != "path" || back.Results[3].Line != 5 || back.Results[3].Points != 9 {
		t.Errorf("JSON read back as %+v", back)
	}
}
