package probe

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// NamespaceOpener returns an Opener for Check that opens the namespace
// topology.Namespace(lab, from) of each source node and probes from it
// with a Prober using opts. With lab "", from is the namespace name
// itself. The namespace and its sockets are closed with the Source.
func NamespaceOpener(lab string, opts ProberOptions) Opener {
	return func(from string) (Source, error) {
		name := from
		if lab != "" {
			name = topology.Namespace(lab, from)
		}
		ns, err := node.Open(name)
		if err != nil {
			return nil, fmt.Errorf("probe from %s: %w", from, err)
		}
		return &nsSource{Prober: NewProber(ns, opts), ns: ns}, nil
	}
}

// nsSource is a Prober that owns its namespace.
type nsSource struct {
	*Prober
	ns *node.Namespace
}

// Close closes the sockets, then the namespace.
func (s *nsSource) Close() error {
	err := s.Prober.Close()
	s.ns.Close()
	return err
}
