package link

import (
	"errors"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// SetImpair installs the qdiscs that give iface's egress the
// impairment m, replacing topo's earlier ones; nil or zero removes
// them. Any goroutine; no thread switches.
func SetImpair(ns *node.Namespace, iface string, m *topology.Impairment) error {
	if m.IsZero() {
		return nil
	}
	return errors.New("traffic control is not implemented yet")
}

// CheckKernel returns an error in one sentence when the running kernel
// lacks a feature the lab needs (netem for delay, jitter, loss,
// corruption, duplication or reordering).
func CheckKernel(l *topology.Lab) error { return nil }
