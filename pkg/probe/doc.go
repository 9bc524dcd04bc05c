// Package probe tests reachability between lab nodes with ARP (RFC 826),
// NDP (RFC 4861) and ICMP/ICMPv6 echo (RFC 792, RFC 4443) frames that it
// builds itself and sends on raw sockets inside the nodes' namespaces.
package probe
