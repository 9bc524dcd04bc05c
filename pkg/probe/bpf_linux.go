package probe

import "golang.org/x/sys/unix"

// replyFilter is a classic BPF program that accepts, among frames the
// interface received (not sent), only those a Client can be waiting for:
// ARP replies, ICMP echo replies, and ICMPv6 echo replies and neighbour
// advertisements (without extension headers). Everything else - other
// hosts' broadcast ARP requests above all - is dropped in the kernel.
func replyFilter() []unix.SockFilter {
	const (
		ldW   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		ldH   = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
		ldB   = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
		ldBX  = unix.BPF_LD | unix.BPF_B | unix.BPF_IND
		ldxIP = unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
		// SKF_AD_OFF + SKF_AD_PKTTYPE, as an unsigned 32-bit offset.
		pktType      = 0xfffff000 + 4
		packetOutgo  = 4
		accept, drop = 18, 19
	)
	// j returns the relative offset from instruction pc to target.
	j := func(pc, target int) uint8 { return uint8(target - pc - 1) }
	return []unix.SockFilter{
		/* 0 */ {Code: ldW, K: pktType},
		/* 1 */ {Code: jeq, K: packetOutgo, Jt: j(1, drop), Jf: 0},
		/* 2 */ {Code: ldH, K: 12},
		/* 3 */ {Code: jeq, K: unix.ETH_P_ARP, Jt: 0, Jf: j(3, 6)},
		/* 4 */ {Code: ldH, K: 20}, // ARP operation
		/* 5 */ {Code: jeq, K: 2, Jt: j(5, accept), Jf: j(5, drop)},
		/* 6 */ {Code: jeq, K: unix.ETH_P_IP, Jt: 0, Jf: j(6, 12)},
		/* 7 */ {Code: ldB, K: 23}, // IPv4 protocol
		/* 8 */ {Code: jeq, K: unix.IPPROTO_ICMP, Jt: 0, Jf: j(8, drop)},
		/* 9 */ {Code: ldxIP, K: 14}, // X = IPv4 header length
		/* 10 */ {Code: ldBX, K: 14}, // ICMP type
		/* 11 */ {Code: jeq, K: 0, Jt: j(11, accept), Jf: j(11, drop)},
		/* 12 */ {Code: jeq, K: unix.ETH_P_IPV6, Jt: 0, Jf: j(12, drop)},
		/* 13 */ {Code: ldB, K: 20}, // IPv6 next header
		/* 14 */ {Code: jeq, K: unix.IPPROTO_ICMPV6, Jt: 0, Jf: j(14, drop)},
		/* 15 */ {Code: ldB, K: 54}, // ICMPv6 type
		/* 16 */ {Code: jeq, K: 129, Jt: j(16, accept), Jf: 0},
		/* 17 */ {Code: jeq, K: 136, Jt: j(17, accept), Jf: j(17, drop)},
		/* 18 */ {Code: ret, K: 0x40000},
		/* 19 */ {Code: ret, K: 0},
	}
}
