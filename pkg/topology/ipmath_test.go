package topology

import (
	"net/netip"
	"testing"
)

func TestHostRange(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		first  string
		count  int64
	}{
		{"10.0.0.0/24", "10.0.0.1", 254},
		{"10.0.0.0/30", "10.0.0.1", 2},
		{"10.0.0.0/31", "10.0.0.0", 2},
		{"10.0.0.7/32", "10.0.0.7", 1},
		{"fd00::/64", "fd00::1", 1 << 62},
		{"fd00::/120", "fd00::1", 255},
		{"fd00::/126", "fd00::1", 3},
		{"fd00::/127", "fd00::", 2},
		{"fd00::5/128", "fd00::5", 1},
	} {
		first, count := hostRange(netip.MustParsePrefix(tc.prefix))
		if first.String() != tc.first || count != tc.count {
			t.Errorf("hostRange(%s) = %s, %d; want %s, %d", tc.prefix, first, count, tc.first, tc.count)
		}
	}
}
