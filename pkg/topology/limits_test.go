package topology

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates (all of them, freed or not).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// wantRejected fails the test unless Parse refused src with a problem
// whose message holds msg, and every problem says where (file and a
// line) and what to do (a hint).
func wantRejected(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse accepted the file; want %q", msg)
	}
	ps := problemsOf(t, err)
	found := false
	for _, p := range ps.Errors() {
		if p.Pos.File != "hostile.yaml" || p.Pos.Line < 1 || p.Hint == "" || p.Msg == "" {
			t.Errorf("problem without file, line, message or hint: %+v", p)
		}
		found = found || strings.Contains(p.Msg, msg)
	}
	if !found {
		t.Errorf("no problem says %q:\n%v", msg, err)
	}
}

// aliasBomb is an alias bomb of depth levels, each a list of width
// aliases of the level below: width^depth strings once expanded.
func aliasBomb(depth, width int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "l0: &l0 [%s]\n", strings.TrimSuffix(strings.Repeat(`"lol",`, width), ","))
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), width), ","))
	}
	fmt.Fprintf(&b, "hosts: *l%d\n", depth-1)
	return b.String()
}

// mergeBomb nests merge keys: each level merges the level below twice
// over, under keys of its own.
func mergeBomb(depth int) string {
	var b strings.Builder
	b.WriteString("m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {x: *m%d, y: *m%d, z: *m%d, w: *m%d, <<: *m%d}\n", i, i, i-1, i-1, i-1, i-1, i-1)
	}
	fmt.Fprintf(&b, "hosts: {h1: {sysctls: *m%d}}\n", depth-1)
	return b.String()
}

// TestAliasBombsBoundedMemory: alias bombs — the classic 9^9, a
// deeper 12^12, nested merge keys, a cycle — are refused with a line
// and a hint, and Parse allocates less than 200 MB on each.
func TestAliasBombsBoundedMemory(t *testing.T) {
	const bound = 200 << 20
	for _, tc := range []struct{ desc, src string }{
		{"billion laughs 9^9", billionLaughs()},
		{"12 levels of 12", aliasBomb(12, 12)},
		{"merge keys", mergeBomb(20)},
		{"cycle", "hosts: &h\n  h1: *h\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var err error
			n := allocated(func() { _, _, err = Parse("hostile.yaml", []byte(tc.src)) })
			wantRejected(t, err, "expands to more than")
			if n > bound {
				t.Errorf("Parse allocated %d MB, want less than %d MB", n>>20, bound>>20)
			}
			t.Logf("%d KB allocated", n>>10)
		})
	}
}

// TestDenseFileRejectedBeforeParsing: a file within MaxFileSize made
// of millions of tiny items is refused before the YAML parser builds a
// tree of it (which took gigabytes), with the line where it crossed the
// bound; a file with fewer items than the bound is read.
func TestDenseFileRejectedBeforeParsing(t *testing.T) {
	for _, tc := range []struct{ desc, src string }{
		{"flow list", "hosts: [" + strings.Repeat("0,", MaxFileSize/2-8) + "0]\n"},
		{"block list", "hosts:\n" + strings.Repeat("- 0\n", MaxFileSize/4-4)},
		{"flow mapping", "hosts: {" + strings.Repeat("a: 0,", MaxFileSize/5-4) + "}\n"},
		{"nested lists", "hosts: " + strings.Repeat("- ", MaxFileSize/2-8) + "0\n"},
		{"comment lines", strings.Repeat("#\n", MaxFileSize/2-2)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			data := []byte(tc.src)
			var err error
			n := allocated(func() { _, _, err = Parse("hostile.yaml", data) })
			wantRejected(t, err, "too large to read")
			if n > 10<<20 {
				t.Errorf("Parse allocated %d MB to refuse it, want less than 10 MB", n>>20)
			}
		})
	}
	// Under the bound, the parser runs (and finds what is wrong).
	_, _, err := Parse("hostile.yaml", []byte("hosts: ["+strings.Repeat("0,", maxItems/2)+"0]\n"))
	if err == nil || strings.Contains(err.Error(), "too large to read") {
		t.Errorf("a file under the item bound: %v", err)
	}
}

// TestCountLimits: more nodes than MaxNodes, more links than MaxLinks,
// are refused with a line and a hint.
func TestCountLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("hosts:\n")
	for i := 0; i <= MaxNodes; i++ {
		fmt.Fprintf(&b, "  h%d: {}\n", i)
	}
	_, _, err := Parse("hostile.yaml", []byte(b.String()))
	wantRejected(t, err, fmt.Sprintf("%d nodes is more than topo accepts", MaxNodes+1))

	b.Reset()
	b.WriteString("hosts: {h1: {}, h2: {}}\nlinks:\n")
	for i := 0; i <= MaxLinks; i++ {
		fmt.Fprintf(&b, "  - endpoints: [h1:e%d, h2:e%d]\n", i, i)
	}
	_, _, err = Parse("hostile.yaml", []byte(b.String()))
	wantRejected(t, err, fmt.Sprintf("%d links is more than topo accepts", MaxLinks+1))
}

// TestPathLikeNames: names that could leave a directory — with "/",
// "..", a NUL (raw or escaped) — are refused as lab, node and interface
// names, each with a line and a hint.
func TestPathLikeNames(t *testing.T) {
	link := func(iface string) string {
		return "hosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints:\n      - {node: h1, interface: " + iface + "}\n      - h2\n"
	}
	for _, tc := range []struct{ desc, src, msg string }{
		{"lab ../x", "name: ../x\nhosts: {h1: {}}\n", "lab name"},
		{"lab /etc", "name: /etc\nhosts: {h1: {}}\n", "lab name"},
		{"lab a/b", "name: a/b\nhosts: {h1: {}}\n", "lab name"},
		{"lab ..", "name: ..\nhosts: {h1: {}}\n", "lab name"},
		{"lab escaped NUL", "name: \"a\\0b\"\nhosts: {h1: {}}\n", "lab name"},
		{"lab raw NUL", "name: a\x00b\nhosts: {h1: {}}\n", "NUL byte"},
		{"host ../x", "hosts:\n  \"../x\": {}\n", "is not valid"},
		{"host /", "hosts:\n  \"/\": {}\n", "is not valid"},
		{"switch ..", "switches:\n  \"..\": {}\n", "is not valid"},
		{"host escaped NUL", "hosts:\n  \"h\\0\": {}\n", "is not valid"},
		{"interface ../x", link(`"../x"`), "interface"},
		{"interface a/b", link(`"a/b"`), "interface"},
		{"interface ..", link(`".."`), "interface"},
		{"interface escaped NUL", link(`"e\0"`), "interface"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, _, err := Parse("hostile.yaml", []byte(tc.src))
			wantRejected(t, err, tc.msg)
		})
	}
}
