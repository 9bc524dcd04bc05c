package main

// The files of the course (examples/course): every lab has its file,
// its sheet with the sections a student looks for, and a picture that
// is what `topo graph` draws today (`make course` redraws them); the
// course's index lists every lab. No root needed.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
)

// sheetSections are the headings every exercise sheet has.
var sheetSections = []string{"## Goal", "## Steps", "## Questions", "## What to look for"}

func TestCourseGraphs(t *testing.T) {
	e2e.NeedBinary(t)
	for _, dir := range courseLabs(t) {
		want, err := os.ReadFile(filepath.Join(dir, "lab.svg"))
		if err != nil {
			t.Errorf("%s: %v (make course draws it)", dir, err)
			continue
		}
		r := e2e.Run(t, t.TempDir(), nil, "graph", filepath.Join(dir, "lab.yaml"), "--format", "svg")
		if r.Code != 0 {
			t.Errorf("%s: %v", dir, r)
			continue
		}
		if !bytes.Equal([]byte(r.Stdout), want) {
			t.Errorf("%s/lab.svg is not what topo graph draws from lab.yaml now: run make course", dir)
		}
	}
}

func TestCourseFiles(t *testing.T) {
	index, err := os.ReadFile("../../examples/course/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range courseLabs(t) {
		base := filepath.Base(dir)
		if !strings.Contains(string(index), "("+base+"/README.md)") {
			t.Errorf("examples/course/README.md does not link %s/README.md", base)
		}
		sheet, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		for _, h := range sheetSections {
			if !strings.Contains(string(sheet), "\n"+h+"\n") {
				t.Errorf("%s/README.md has no %q section", base, h)
			}
		}
		if _, err := e2e.ParseSheet(string(sheet)); err != nil {
			t.Errorf("%s/README.md: %v", base, err)
		}
		if !strings.Contains(string(sheet), "](lab.svg)") {
			t.Errorf("%s/README.md does not show lab.svg", base)
		}
		_, err = os.Stat(filepath.Join(dir, "broken.yaml"))
		if hasBroken := err == nil; hasBroken != strings.Contains(string(sheet), "broken.yaml") {
			t.Errorf("%s: broken.yaml exists: %v, but the sheet mentions it: %v", base, hasBroken, !hasBroken)
		}
	}
}
