package testns

import (
	"os/exec"
	"slices"
	"testing"
)

// TestAddedRootLinks leaves veths in the root namespace: one into a
// namespace of this run, one into another's; only the first is
// reported, and a link that was there before is not.
func TestAddedRootLinks(t *testing.T) {
	NeedRoot(t, "creates network namespaces and veths")
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: the ip command (iproute2) is not installed")
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ours, theirs := Name("ours"), "other"+Name("")
	for _, ns := range []string{ours, theirs} {
		ip("netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	old := Name("old")
	ip("link", "add", old, "type", "veth", "peer", "name", "p", "netns", ours)
	t.Cleanup(func() { exec.Command("ip", "link", "del", old).Run() })
	before, err := RootLinks()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ns string }{{Name("new"), ours}, {Name("x"), theirs}} {
		ip("link", "add", tc.name, "type", "veth", "peer", "name", "p"+tc.name, "netns", tc.ns)
		t.Cleanup(func() { exec.Command("ip", "link", "del", tc.name).Run() })
	}
	added, err := AddedRootLinks(before, Prefix())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{Name("new")}; !slices.Equal(added, want) {
		t.Errorf("AddedRootLinks = %v, want %v", added, want)
	}
}
