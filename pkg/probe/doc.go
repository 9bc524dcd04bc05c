// Package probe tests reachability between lab nodes. Its verdict is
// the node's own stack's: echo requests (RFC 792, RFC 4443) are sent on
// a raw ICMP socket inside the source's namespace, so the kernel routes
// them, resolves the next hop and applies the node's firewall exactly
// as for the host's ping, and ICMP errors that come back are reported
// with who sent them. To explain a failure it also builds, sends and
// reads its own ARP (RFC 826) and NDP (RFC 4861) frames on raw
// AF_PACKET sockets.
package probe
