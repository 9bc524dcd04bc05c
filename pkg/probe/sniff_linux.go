package probe

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// sniffer is a raw ICMP (or ICMPv6) socket of a node's, kept only for
// the errors it hands over: the kernel gives a raw socket a copy of
// every ICMP message the node receives, before the transport acts on
// it, so the error that made a connect fail is in its queue by then.
type sniffer struct {
	fd int
	v6 bool
}

// openSniffer opens the socket in the calling thread's namespace,
// keeping only error messages.
func openSniffer(v6 bool) (*sniffer, error) {
	fam, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if v6 {
		fam, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	fd, err := unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, err
	}
	if v6 {
		var f unix.ICMPv6Filter
		for i := range f.Data {
			f.Data[i] = 0xffffffff
		}
		for _, t := range []int{1, 2, 3, 4} {
			f.Data[t>>5] &^= 1 << (uint(t) & 31)
		}
		err = unix.SetsockoptICMPv6Filter(fd, unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, &f)
	} else {
		keep := uint32(1<<3 | 1<<11 | 1<<12)
		err = unix.SetsockoptInt(fd, unix.SOL_RAW, unix.ICMP_FILTER, int(^keep))
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &sniffer{fd: fd, v6: v6}, nil
}

func (s *sniffer) close() { unix.Close(s.fd) }

// find reads what is queued and returns the last error quoting a proto
// packet from local port to dst.
func (s *sniffer) find(proto string, local uint16, dst netip.AddrPort) (quotedTransport, bool) {
	want := 6
	if proto == "udp" {
		want = 17
	}
	var found quotedTransport
	ok := false
	buf := make([]byte, 2048)
	for {
		n, from, err := unix.Recvfrom(s.fd, buf, 0)
		if err != nil {
			return found, ok
		}
		var q quotedTransport
		var good bool
		if s.v6 {
			sa, isV6 := from.(*unix.SockaddrInet6)
			if !isV6 {
				continue
			}
			q, good = parseQuoted6(buf[:n], netip.AddrFrom16(sa.Addr))
		} else {
			q, good = parseQuoted4(buf[:n])
		}
		if good && q.proto == want && q.src.Port() == local && q.dst.Addr().Unmap() == dst.Addr().Unmap() && q.dst.Port() == dst.Port() {
			found, ok = q, true
		}
	}
}
