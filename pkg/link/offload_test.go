package link

import "testing"

func TestFloodQueuesIn(t *testing.T) {
	for _, tc := range []struct {
		release string
		ok      bool
	}{
		{"6.18.44-fc-v657", true},
		{"6.1.0-28-amd64", true},
		{"5.13.0", true},
		{"5.12.19", false},
		{"4.19.0-27-amd64", false},
		{"weird", false},
	} {
		ok, reason := floodQueuesIn(tc.release)
		if ok != tc.ok || ok != (reason == "") {
			t.Errorf("floodQueuesIn(%q) = %v, %q; want %v and a reason only when false", tc.release, ok, reason, tc.ok)
		}
	}
}
