package lab

import "testing"

// TestWaitLine: the line a waiting topo prints names the holder's
// command and pid when both are known, its pid alone, or "another
// topo".
func TestWaitLine(t *testing.T) {
	for _, tc := range []struct {
		desc string
		h    holder
		want string
	}{
		{"command and pid", holder{command: "topo up", pid: 4242}, "lab l1 is being changed by topo up, pid 4242; waiting — Ctrl-C to stop"},
		{"pid only", holder{pid: 4242}, "lab l1 is being changed by another topo, pid 4242; waiting — Ctrl-C to stop"},
		{"unknown", holder{}, "lab l1 is being changed by another topo; waiting — Ctrl-C to stop"},
		{"command without pid", holder{command: "topo down"}, "lab l1 is being changed by another topo; waiting — Ctrl-C to stop"},
	} {
		if got := waitLine("l1", tc.h); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.desc, got, tc.want)
		}
	}
}

// TestHolderRecord: what a holder writes reads back; an empty, cut or
// foreign file reads as nothing.
func TestHolderRecord(t *testing.T) {
	h, ok := parseHolderRecord(holderRecord(31337, "topo down"))
	if !ok || h != (holder{command: "topo down", pid: 31337}) {
		t.Errorf("round trip: got %+v, %v", h, ok)
	}
	for _, bad := range []string{"", "31337", "31337 topo up", "31337 \n", "x topo up\n", "-1 topo up\n", "0 topo up\n"} {
		if h, ok := parseHolderRecord([]byte(bad)); ok {
			t.Errorf("%q: got %+v, want nothing", bad, h)
		}
	}
}

// TestFlockOwner: the holder of the exclusive flock on one inode of one
// device, never a waiter ("->"), a POSIX lock, a shared flock, another
// inode or device, or a pid the kernel hides (0).
func TestFlockOwner(t *testing.T) {
	const locks = `1: POSIX  ADVISORY  WRITE 100 fe:00:777 0 EOF
2: FLOCK  ADVISORY  READ 101 fe:00:777 0 EOF
3: FLOCK  ADVISORY  WRITE 102 fe:01:777 0 EOF
4: FLOCK  ADVISORY  WRITE 103 fe:00:778 0 EOF
5: FLOCK  ADVISORY  WRITE 0 00:1a:777 0 EOF
6: FLOCK  ADVISORY  WRITE 104 fe:00:777 0 EOF
6: -> FLOCK  ADVISORY  WRITE 105 fe:00:777 0 EOF
7: FLOCK  ADVISORY  WRITE 106 00:1a4:9 0 EOF
`
	for _, tc := range []struct {
		major, minor uint32
		ino          uint64
		want         int
	}{
		{0xfe, 0, 777, 104},
		{0xfe, 1, 777, 102},
		{0xfe, 0, 778, 103},
		{0, 0x1a, 777, 0},
		{0, 0x1a4, 9, 106},
		{0xfe, 0, 779, 0},
	} {
		if got := flockOwner([]byte(locks), tc.major, tc.minor, tc.ino); got != tc.want {
			t.Errorf("%x:%x:%d: got pid %d, want %d", tc.major, tc.minor, tc.ino, got, tc.want)
		}
	}
}
