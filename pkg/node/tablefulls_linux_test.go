package node

import "testing"

func TestTableFulls(t *testing.T) {
	const header = "entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls\n"
	for _, tc := range []struct {
		name, text string
		want       uint64
		bad        bool
	}{
		{"one CPU", header + "000000f2 0008c544 0008cc34 00000002 017c39d9 0054dbe3 0000070e 00000000 00000000 00000000 00002898 00000000 0000285f\n", 0x285f, false},
		{"summed over CPUs", header +
			"000000f2 0 0 0 0 0 0 0 0 0 0 0 00000010\n" +
			"000000f2 0 0 0 0 0 0 0 0 0 0 0 00000001\n", 17, false},
		{"no column", "entries allocs\n00000001 00000002\n", 0, true},
		{"short line", header + "000000f2 0 0\n", 0, true},
		{"not hex", header + "000000f2 0 0 0 0 0 0 0 0 0 0 0 zz\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tableFulls("arp_cache", tc.text)
			if tc.bad {
				if err == nil {
					t.Fatalf("tableFulls = %d, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("tableFulls = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestNeighbourTableFullsReadsTheKernel(t *testing.T) {
	if _, err := NeighbourTableFulls(0); err != nil {
		t.Fatalf("NeighbourTableFulls: %v", err)
	}
}
