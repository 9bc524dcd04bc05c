package lab

import (
	"context"
	"net"
	"sync"
)

// Counters is one interface's packet, byte and drop counters, as the
// kernel keeps them.
type Counters struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxDropped, TxDropped uint64
	// State is the interface's operational state ("up", "down", ...), as
	// status words it.
	State string
}

// ReadCounters reads the counters of every interface (but lo) of every
// node of a lab that is up, keyed by "node:iface": one link dump per
// node, through namespaces verified as the lab's own, all closed before
// it returns (a live view must not keep a lab's namespaces alive). A
// node that cannot be opened is left out.
func ReadCounters(ctx context.Context, name string) (map[string]Counters, error) {
	st, own, err := loadOwnership(name)
	if err != nil {
		return nil, err
	}
	hs := newHandles(own)
	defer hs.close()
	out := map[string]Counters{}
	var mu sync.Mutex
	nodes := st.Lab.Nodes
	err = parallel(ctx, len(nodes), func(i int) error {
		ns, release, err := hs.use(nodes[i].Name)
		if err != nil {
			return nil
		}
		defer release()
		links, err := ns.NL.LinkList()
		if err != nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		for _, lk := range links {
			a := lk.Attrs()
			if a.Statistics == nil || a.Name == "lo" {
				continue
			}
			s := a.Statistics
			state := a.OperState.String()
			if a.Flags&net.FlagUp == 0 { // set down
				state = "down"
			}
			out[nodes[i].Name+":"+a.Name] = Counters{
				RxPackets: s.RxPackets, TxPackets: s.TxPackets, RxBytes: s.RxBytes, TxBytes: s.TxBytes,
				RxDropped: s.RxDropped, TxDropped: s.TxDropped, State: state,
			}
		}
		return nil
	})
	return out, err
}
