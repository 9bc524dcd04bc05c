package explain

import "net/netip"

// Path is the way an echo request and its reply take through a lab, as
// the nodes' kernels would send them, hop by hop, found by Walk.
type Path struct {
	// Forward are the request's hops, from the source on; Back the
	// reply's, from the destination on (empty when the request never
	// arrived).
	Forward []Hop `json:"forward"`
	Back    []Hop `json:"back,omitempty"`
	// Broken is the first broken hop; nil when the walk found none.
	Broken *Break `json:"broken,omitempty"`
}

// Hop is one node a packet passes, with the verdict there.
type Hop struct {
	Node string `json:"node"`
	// In is the interface the packet came in on ("" at the source),
	// Out the one it leaves by ("" where it is delivered or lost).
	In  string `json:"in,omitempty"`
	Out string `json:"out,omitempty"`
	// NextHop is the address the node sends the packet to (its
	// gateway, or the destination itself).
	NextHop netip.Addr `json:"next_hop,omitzero"`
	// OK is false at the broken hop; Verdict says what happens there:
	// "forwarded", "sent", "delivered", or the broken hop's sentence.
	OK      bool   `json:"ok"`
	Verdict string `json:"verdict"`
}

// Break is the first broken hop of a Path.
type Break struct {
	// Back is true when the reply, not the request, is lost.
	Back bool `json:"back"`
	// Node is where it breaks; Kind classifies it (see the Kind
	// constants); Sentence says it in words a student understands.
	Node     string `json:"node"`
	Kind     Kind   `json:"kind"`
	Sentence string `json:"sentence"`
}

// Kind classifies a broken hop.
type Kind string

// The kinds of broken hops Walk can name.
const (
	KindLinkDown    Kind = "link-down"
	KindNoRoute     Kind = "no-route"
	KindRejectRoute Kind = "reject-route"
	KindNoForward   Kind = "no-forward"
	KindNoNeighbor  Kind = "no-neighbor"
	KindNeighbor    Kind = "wrong-neighbor"
	KindEchoIgnored Kind = "echo-ignored"
	KindFirewall    Kind = "firewall"
	KindLoop        Kind = "loop"
	KindRPFilter    Kind = "rp-filter"
	KindUnknown     Kind = "unknown"
)
