package capture

import (
	"errors"
	"io"

	"github.com/topo-lab/topo/pkg/node"
)

// ErrLabDown is what Options.Open returns when the lab is no longer
// up; a capture that learns it ends.
var ErrLabDown = errors.New("the lab is down")

// Options configure a capture.
type Options struct {
	// Lab is the lab's name, for the file's interface descriptions.
	Lab string
	// Open opens a node's namespace, refusing one the lab does not own;
	// an error wrapping ErrLabDown once the lab is gone.
	Open func(node string) (*node.Namespace, error)
	// Filter selects the frames kept; nil keeps all.
	Filter *Filter
	// Sinks receive the frames.
	Sinks []Sink
	// Count ends the capture after that many frames (0: no limit).
	Count int
	// RingSize is the kernel buffer of each interface, in bytes (0:
	// defaultRingSize for the number of interfaces).
	RingSize int
	// StateDir is the lab's state directory: a change there makes the
	// capture look at the nodes again at once ("" for none).
	StateDir string
	// NewNodes, when set, is asked after every change of the machine's
	// namespaces for the selections of nodes that may have joined the
	// lab since (--all takes the hosts added by a later up); nodes
	// already captured are left out.
	NewNodes func() []Selection
	// Notes receives a line when an interface appears or goes, and
	// when the capture ends by itself; nil for none.
	Notes io.Writer
}

// maxHeld bounds the bytes waiting to be put in order.
const maxHeld = 64 << 20

// defaultRingSize is the kernel buffer of each of n interfaces: 8 MiB
// (tcpdump's is 2 MiB), less when many share 128 MiB, but at least two
// blocks. A quiet interface hands a block over every retireTimeout, so
// its buffer also bounds how long topo may fall behind on it (with 20
// interfaces, 25 blocks: half a second).
func defaultRingSize(n int) int {
	return min(max(128<<20/max(n, 1), 2*blockSize), 8<<20)
}
