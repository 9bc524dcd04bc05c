// Package capture records and decodes the frames of a lab's interfaces:
// a packet socket with a TPACKET_V3 ring per interface (packet(7)),
// opened inside the node's namespace; streams of many interfaces merged
// in time order; one-line summaries in the manner of tcpdump; a small
// filter language; and pcapng output (draft-ietf-opsawg-pcapng) that
// Wireshark, tshark and tcpdump read.
package capture
