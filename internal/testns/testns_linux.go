package testns

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// NeedRoot skips t unless it runs as root; why says what the test does
// that needs root ("creates network namespaces").
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: " + why)
	}
}

// Prefix starts every name Name makes in this test process: "tk" and
// the process id modulo 100000.
func Prefix() string {
	return fmt.Sprintf("tk%d", os.Getpid()%100000)
}

// Name is a namespace or link name unique to this test process: Prefix
// followed by suffix.
func Name(suffix string) string {
	return Prefix() + suffix
}

// NetnsDir is where named network namespaces are mounted.
const NetnsDir = "/run/netns"

// NetnsFiles lists the files in NetnsDir whose names start with prefix,
// mounted or not (a crash can leave an empty file behind).
func NetnsFiles(prefix string) []string {
	entries, _ := os.ReadDir(NetnsDir)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// Inode is the nsfs inode of the named namespace; it fails t when the
// namespace does not exist.
func Inode(t testing.TB, name string) uint64 {
	t.Helper()
	fi, err := os.Stat(NetnsDir + "/" + name)
	if err != nil {
		t.Fatalf("namespace %s: %v", name, err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
