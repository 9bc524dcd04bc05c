package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestResolvConfNeverTheMachines: a node without a resolv.conf of its
// own gets topo's, naming no server, and never the machine's (whose
// servers the lab cannot reach); one with files: gets its own; the
// lab's names still resolve from the hosts file; the machine's file is
// left as it was.
func TestResolvConfNeverTheMachines(t *testing.T) {
	machine, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	l := newLab(t, "resolv", `hosts:
  h1: {}
  h2:
    files: {/etc/resolv.conf: "nameserver 10.0.0.2\n"}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.0.0.1/24, 10.0.0.2/24]
`)
	l.Up()
	got := l.Must("exec", "--lab", l.Name, "h1", "--", "cat", "/etc/resolv.conf").Stdout
	if !strings.HasPrefix(got, "# written by topo for lab "+l.Name) || strings.Contains(got, "nameserver") {
		t.Errorf("h1's resolv.conf is not topo's, or names a server:\n%s", got)
	}
	if got := l.Must("exec", "--lab", l.Name, "h2", "--", "cat", "/etc/resolv.conf").Stdout; got != "nameserver 10.0.0.2\n" {
		t.Errorf("h2's resolv.conf is %q, want its own from files:", got)
	}
	if got := l.Must("exec", "--lab", l.Name, "h1", "--", "getent", "hosts", "h2").Stdout; !strings.HasPrefix(got, "10.0.0.2 ") {
		t.Errorf("getent hosts h2 in h1: %q, want 10.0.0.2 from the lab's hosts file", got)
	}
	after, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if !bytes.Equal(machine, after) {
		t.Errorf("the machine's /etc/resolv.conf changed:\n%s\nwas:\n%s", after, machine)
	}
}
