package topology

import (
	"reflect"
	"testing"
)

// TestSysctlKeysShared: the keys and owned defaults shared by nodes
// that set no sysctl of their own are those computed for each node, for
// either kind, forwarding on or off, new or applied before; a node
// with its own sysctls, or one that changed kind, gets its own.
func TestSysctlKeysShared(t *testing.T) {
	host := &Node{Name: "h1", Kind: KindHost}
	router := &Node{Name: "r1", Kind: KindHost, Forward: true}
	sw := &Node{Name: "s1", Kind: KindSwitch}
	own := &Node{Name: "h2", Kind: KindHost, Sysctls: map[string]string{"net.ipv4.conf.all.rp_filter": "1", "net.ipv4.tcp_syncookies": "0"}}
	for _, tc := range []struct {
		name             string
		desired, applied *Node
	}{
		{"new host", host, nil}, {"host", host, host}, {"router", router, host}, {"switch", sw, sw},
		{"own sysctls", own, host}, {"had own sysctls", host, own}, {"was a switch", host, sw},
	} {
		if got, want := SysctlKeys(tc.desired, tc.applied), sysctlKeysOf(tc.desired, tc.applied); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: SysctlKeys = %v, want %v", tc.name, got, want)
		}
		if got, want := ownedDefaults(tc.desired), ownedDefaultsOf(tc.desired); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ownedDefaults = %v, want %v", tc.name, got, want)
		}
	}
}
