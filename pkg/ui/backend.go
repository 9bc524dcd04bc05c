package ui

import (
	"context"
	"io"

	"github.com/topo-lab/topo/pkg/graph"
)

// Backend is what the server asks of the machine. Errors are shown to
// the user as they are, so they say what went wrong and what to do.
type Backend interface {
	// Labs lists the labs that are up.
	Labs() ([]string, error)
	// Picture draws a lab with its live state.
	Picture(ctx context.Context, lab string) (*graph.Graph, error)
	// Counters reads the kernel's counters of every interface of the
	// lab's nodes, keyed by "node:iface".
	Counters(ctx context.Context, lab string) (map[string]Counter, error)
	// Node describes one node for the node panel.
	Node(ctx context.Context, lab, node string) (*NodeInfo, error)
	// SetLink takes the link with the end NODE:IFACE down or up.
	SetLink(ctx context.Context, lab, endpoint string, up bool) error
	// SetImpair replaces the impairment of the traffic leaving endpoint.
	SetImpair(ctx context.Context, lab, endpoint string, m ImpairRequest) error
	// Check runs topo check on the lab and stores its outcome (the next
	// Picture paints it); it returns how many pairs failed of how many.
	Check(ctx context.Context, lab string) (failed, total int, err error)
	// Ping probes from one node to another with topo's probe.
	Ping(ctx context.Context, lab, from, to string) (*PingResult, error)
	// Capture captures target (a node, NODE:IFACE or link:NODE:IFACE),
	// the frames filter keeps (topo capture's words; "" for all),
	// until ctx ends: it calls ready once listening (a frame sent after
	// that is captured), then each decoded line goes to line, the frames
	// to pcap as pcapng.
	Capture(ctx context.Context, lab, target, filter string, ready func(), line func(string), pcap io.Writer) error
}

// Watcher is a Backend that can follow a lab's interfaces by the
// kernel's events rather than by reading them all again and again: a
// live view uses it when the Backend has it.
type Watcher interface {
	// Watch starts following lab's interfaces.
	Watch(ctx context.Context, lab string) (LabWatch, error)
}

// LabWatch follows a lab's interfaces (see Watcher).
type LabWatch interface {
	// Counters reads the counters and state of the interfaces of the
	// nodes in nodes (all when nil) now, and returns those of every
	// interface known, keyed by "node:iface".
	Counters(ctx context.Context, nodes map[string]bool) (map[string]Counter, error)
	// Snapshot is the latest state known of every interface, without
	// asking the kernel; it stays readable after the watch ended.
	Snapshot() map[string]Counter
	// Changed is signalled when an interface changed state, or a node
	// went away.
	Changed() <-chan struct{}
	// Reconfigured is signalled when an address or route of a node was
	// added or removed: drift, which only a whole read shows.
	Reconfigured() <-chan struct{}
	// Done is closed when the watch ended by itself: the lab went down
	// or its state was written again (read the lab again).
	Done() <-chan struct{}
	// Close ends the watch and lets go of the lab's namespaces.
	Close()
}

// Counter is one interface's counters, as the kernel keeps them.
type Counter struct {
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxDropped uint64 `json:"rx_dropped"`
	TxDropped uint64 `json:"tx_dropped"`
	// State is the interface's state ("up", "down", ...): a change
	// redraws the picture at once.
	State string `json:"state"`
}

// Rate is one interface's traffic per second between two readings.
type Rate struct {
	RxPPS   float64 `json:"rx_pps"`
	TxPPS   float64 `json:"tx_pps"`
	RxBPS   float64 `json:"rx_bps"`
	TxBPS   float64 `json:"tx_bps"`
	Dropped uint64  `json:"dropped"`
}

// NodeInfo is the node panel: what `ip addr`, `ip route`, `ip neigh`
// and `ps` would say inside the node.
type NodeInfo struct {
	Name       string      `json:"name"`
	Kind       string      `json:"kind"`
	Namespace  string      `json:"namespace"`
	Interfaces []IfaceInfo `json:"interfaces"`
	Routes     []string    `json:"routes"`
	Neighbours []string    `json:"neighbours"`
	Processes  []string    `json:"processes"`
}

// IfaceInfo is one interface of the node panel.
type IfaceInfo struct {
	Name      string   `json:"name"`
	State     string   `json:"state"`
	Port      string   `json:"port,omitempty"`
	MAC       string   `json:"mac"`
	MTU       int      `json:"mtu"`
	Addresses []string `json:"addresses"`
	Peer      string   `json:"peer,omitempty"`
	Impair    string   `json:"impair,omitempty"`
}

// ImpairRequest is the impairment form: each field in the file's words
// ("10mbit", "20ms", "1%"); empty for none.
type ImpairRequest struct {
	Endpoint string `json:"endpoint"`
	Rate     string `json:"rate"`
	Delay    string `json:"delay"`
	Jitter   string `json:"jitter"`
	Loss     string `json:"loss"`
}

// PingResult is the outcome of a ping between two nodes.
type PingResult struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Address string `json:"address"`
	Reached bool   `json:"reached"`
	// TTL of the reply and the hops it took (64 - TTL for Linux).
	TTL  int `json:"ttl,omitempty"`
	Hops int `json:"hops"`
	// RTT in milliseconds.
	RTT float64 `json:"rtt_ms,omitempty"`
	// Reason and Why say why it failed.
	Reason string `json:"reason,omitempty"`
	Why    string `json:"why,omitempty"`
	// Path is the path hop by hop, as topo explains it.
	Path []string `json:"path,omitempty"`
	// Trace is the path a reply took, proven as traceroute does: one
	// hop per TTL, who answered at it; set when the ping was answered.
	Trace []TraceHop `json:"trace,omitempty"`
}

// TraceHop is one TTL of a traced path: the node (or address) whose
// answer came back at that TTL, "*" when none did.
type TraceHop struct {
	TTL     int    `json:"ttl"`
	Node    string `json:"node"`
	Address string `json:"address,omitempty"`
}
