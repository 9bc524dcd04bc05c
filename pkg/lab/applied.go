package lab

import "github.com/topo-lab/topo/pkg/topology"

// Applied returns the desired state last applied to a lab that is up:
// its nodes, links and addresses as topo built them.
func Applied(name string) (*topology.Lab, error) {
	st, err := LoadState(name)
	if err != nil {
		return nil, err
	}
	return st.Lab, nil
}
