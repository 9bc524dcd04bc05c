package testns

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RootLinks lists the names of the root namespace's links, sorted.
func RootLinks() ([]string, error) {
	links, err := linkList()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names, nil
}

// AddedRootLinks returns the links of the root namespace that are not
// in before (a RootLinks of earlier) and whose far end is in a
// namespace named with prefix: what the code under test would leave in
// the root namespace by mistake. Links that disappeared, and links
// that appeared with no far end in one of this run's namespaces, are
// other people's: tests and benchmarks share this machine.
func AddedRootLinks(before []string, prefix string) ([]string, error) {
	links, err := linkList()
	if err != nil {
		return nil, err
	}
	had := map[string]bool{}
	for _, n := range before {
		had[n] = true
	}
	var ids map[int]string
	var added []string
	for _, l := range links {
		a := l.Attrs()
		if had[a.Name] || a.NetNsID < 0 {
			continue
		}
		if ids == nil {
			ids = netnsIDs()
		}
		if strings.HasPrefix(ids[a.NetNsID], prefix) {
			added = append(added, a.Name)
		}
	}
	slices.Sort(added)
	return added, nil
}

// Main runs the tests of m and exits; the run fails when it leaves in
// the root namespace a link whose far end is in a namespace named with
// prefix (see AddedRootLinks). Call it from TestMain.
func Main(m *testing.M, prefix string) {
	before, err := RootLinks()
	code := m.Run()
	if err == nil {
		var added []string
		added, err = AddedRootLinks(before, prefix)
		if len(added) > 0 {
			fmt.Fprintf(os.Stderr, "links left in the root namespace: %v\n", added)
			code = 1
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "root namespace links: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

// netnsIDs maps the root namespace's ids of the namespaces in NetnsDir
// to their names (as `ip link` shows a peer's link-netns).
func netnsIDs() map[int]string {
	ids := map[int]string{}
	entries, _ := os.ReadDir(NetnsDir)
	for _, e := range entries {
		fd, err := unix.Open(NetnsDir+"/"+e.Name(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		if id, err := netlink.GetNetNsIdByFd(fd); err == nil && id >= 0 {
			ids[id] = e.Name()
		}
		unix.Close(fd)
	}
	return ids
}

// linkList is netlink.LinkList, tried again when a busy kernel
// interrupts the dump.
func linkList() ([]netlink.Link, error) {
	var links []netlink.Link
	var err error
	for range 5 {
		links, err = netlink.LinkList()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return links, err
}
