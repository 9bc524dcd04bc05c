package topology

import (
	"math/big"
	"net/netip"
)

// addrAdd returns a+n, and false when that leaves the address family.
func addrAdd(a netip.Addr, n *big.Int) (netip.Addr, bool) {
	b := a.AsSlice()
	v := new(big.Int).SetBytes(b)
	v.Add(v, n)
	if v.Sign() < 0 || v.BitLen() > len(b)*8 {
		return netip.Addr{}, false
	}
	out := make([]byte, len(b))
	v.FillBytes(out)
	r, _ := netip.AddrFromSlice(out)
	return r, true
}

// lastAddr is the highest address of p's subnet.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	host := p.Addr().BitLen() - p.Bits()
	n := new(big.Int).Lsh(big.NewInt(1), uint(host))
	n.Sub(n, big.NewInt(1))
	a, _ := addrAdd(p.Addr(), n)
	return a
}

// hostRange returns the first usable host address of a subnet and how
// many there are (capped, for huge IPv6 subnets, at 1<<62).
func hostRange(p netip.Prefix) (first netip.Addr, count int64) {
	p = p.Masked()
	host := p.Addr().BitLen() - p.Bits()
	switch {
	case host <= 1:
		// IPv4 /31 and /32 (RFC 3021), IPv6 /127 (RFC 6164) and /128:
		// point-to-point, every address is a host's.
		return p.Addr(), int64(1) << host
	case host >= 62:
		first, _ = addrAdd(p.Addr(), big.NewInt(1))
		return first, 1 << 62
	case p.Addr().Is4():
		first, _ = addrAdd(p.Addr(), big.NewInt(1))
		return first, int64(1)<<host - 2
	default: // IPv6: skip the subnet-router anycast address ::0
		first, _ = addrAdd(p.Addr(), big.NewInt(1))
		return first, int64(1)<<host - 1
	}
}

// nthSubnet returns the k-th subnet of length bits inside pool.
func nthSubnet(pool netip.Prefix, bits int, k int64) (netip.Prefix, bool) {
	pool = pool.Masked()
	if bits < pool.Bits() || bits > pool.Addr().BitLen() {
		return netip.Prefix{}, false
	}
	if span := bits - pool.Bits(); span < 63 && k >= int64(1)<<span {
		return netip.Prefix{}, false
	}
	off := new(big.Int).Lsh(big.NewInt(k), uint(pool.Addr().BitLen()-bits))
	a, ok := addrAdd(pool.Addr(), off)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, bits), true
}

// overlaps reports whether two prefixes share any address.
func overlaps(a, b netip.Prefix) bool { return a.Masked().Overlaps(b.Masked()) }

// blockAfter returns the index, among the subnets of length bits inside
// pool, of the first one past the end of u; false when there is none
// or the index overflows.
func blockAfter(pool netip.Prefix, bits int, u netip.Prefix) (int64, bool) {
	pool = pool.Masked()
	end := new(big.Int).SetBytes(lastAddr(u).AsSlice())
	end.Sub(end, new(big.Int).SetBytes(pool.Addr().AsSlice()))
	if end.Sign() < 0 {
		return 0, true
	}
	end.Rsh(end, uint(pool.Addr().BitLen()-bits))
	end.Add(end, big.NewInt(1))
	if !end.IsInt64() {
		return 0, false
	}
	return end.Int64(), true
}
