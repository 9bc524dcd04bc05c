package topology

import (
	"strings"
	"testing"
)

func TestAddressChecks(t *testing.T) {
	tests := []struct {
		desc, src, want string
		line, col       int
	}{
		{
			desc: "prefix length 0",
			src:  "hosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1, h2]\n    addresses: [10.0.0.1/0, 10.0.0.2/24]\n",
			want: "prefix length 0", line: 4, col: 17,
		},
		{
			desc: "explicit address outside the link's subnet",
			src:  "hosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1, h2]\n    subnet: 10.0.0.0/24\n    addresses: [10.0.1.1/24, ~]\n",
			want: "outside its LAN's subnet 10.0.0.0/24", line: 5, col: 17,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, _, err := Parse("lab.yaml", []byte(tc.src))
			probs, ok := err.(Problems)
			if !ok || len(probs) == 0 {
				t.Fatalf("Parse error = %v, want problems", err)
			}
			for _, p := range probs {
				if strings.Contains(p.Msg, tc.want) && p.Pos.Line == tc.line && p.Pos.Col == tc.col {
					return
				}
			}
			t.Fatalf("no problem %q at %d:%d in:\n%v", tc.want, tc.line, tc.col, probs)
		})
	}
	// Two hosts on one link in different subnets is a classic exercise
	// ("why does ARP fail?"), not an error, even with an addressing pool.
	src := "addressing: {ipv4: 10.9.0.0/16}\nhosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1, h2]\n    addresses: [10.0.0.1/24, 10.0.1.1/24]\n"
	if _, _, err := Parse("lab.yaml", []byte(src)); err != nil {
		t.Fatalf("wrong-subnet pair rejected: %v", err)
	}
}
