package explain

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// nftables over netlink (linux/netfilter/nf_tables.h), only what it
// takes to list the base chains that may drop: no nft binary is run.
const (
	nfnlSubsysNftables = 10
	nftMsgGetChain     = 4
	nftMsgGetRule      = 7

	nftaChainTable  = 1
	nftaChainName   = 3
	nftaChainHook   = 4
	nftaChainPolicy = 5
	nftaHookHooknum = 1

	nftaRuleTable = 1
	nftaRuleChain = 2
	nftaRuleExprs = 4
	nftaListElem  = 1
	nftaExprName  = 1
	nftaExprData  = 2
	nftaImmData   = 2
	nftaDataVerd  = 2
	nftaVerdCode  = 1

	nfDrop = 0
)

var nftFamilies = map[uint8]string{unix.NFPROTO_INET: "inet", unix.NFPROTO_IPV4: "ip", unix.NFPROTO_IPV6: "ip6"}

var nftHooks = map[uint32]string{0: "prerouting", 1: "input", 2: "forward", 3: "output", 4: "postrouting"}

// readChains lists the node's ip, ip6 and inet base chains that have
// policy drop or rules that drop or reject.
func readChains(ns *node.Namespace) ([]Chain, error) {
	fd := -1
	if err := ns.Do(func() error {
		s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
		fd = s
		return err
	}); err != nil {
		return nil, fmt.Errorf("%s: open nftables socket: %w", ns.Name, err)
	}
	defer unix.Close(fd)
	// A kernel that answers nothing must not hang the explanation.
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 2})
	type key struct {
		fam          uint8
		table, chain string
	}
	chains := map[key]*Chain{}
	var order []key
	err := nftDump(fd, nftMsgGetChain, func(fam uint8, attrs map[uint16][]byte) {
		name, ok := nftFamilies[fam]
		hook, hasHook := attrs[nftaChainHook]
		if !ok || !hasHook {
			return
		}
		k := key{fam, cstr(attrs[nftaChainTable]), cstr(attrs[nftaChainName])}
		c := &Chain{Family: name, Table: k.table, Name: k.chain}
		if h := nftAttrs(hook)[nftaHookHooknum]; len(h) == 4 {
			c.Hook = nftHooks[binary.BigEndian.Uint32(h)]
		}
		if p := attrs[nftaChainPolicy]; len(p) == 4 && binary.BigEndian.Uint32(p) == nfDrop {
			c.PolicyDrop = true
		}
		chains[k] = c
		order = append(order, k)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list nftables chains: %w", ns.Name, err)
	}
	err = nftDump(fd, nftMsgGetRule, func(fam uint8, attrs map[uint16][]byte) {
		c := chains[key{fam, cstr(attrs[nftaRuleTable]), cstr(attrs[nftaRuleChain])}]
		if c != nil && ruleDrops(attrs[nftaRuleExprs]) {
			c.Drops++
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list nftables rules: %w", ns.Name, err)
	}
	var out []Chain
	for _, k := range order {
		if c := chains[k]; c.PolicyDrop || c.Drops > 0 {
			out = append(out, *c)
		}
	}
	return out, nil
}

// ruleDrops reports whether a rule's expressions end in drop or reject.
func ruleDrops(exprs []byte) bool {
	for _, elem := range nftList(exprs, nftaListElem) {
		e := nftAttrs(elem)
		switch cstr(e[nftaExprName]) {
		case "reject":
			return true
		case "immediate":
			verdict := nftAttrs(nftAttrs(nftAttrs(e[nftaExprData])[nftaImmData])[nftaDataVerd])[nftaVerdCode]
			if len(verdict) == 4 && binary.BigEndian.Uint32(verdict) == nfDrop {
				return true
			}
		}
	}
	return false
}

// nftDump sends a dump request of type msg and calls fn with each
// answer's family and attributes.
func nftDump(fd int, msg uint16, fn func(fam uint8, attrs map[uint16][]byte)) error {
	req := nl.NewNetlinkRequest(nfnlSubsysNftables<<8|int(msg), unix.NLM_F_DUMP)
	req.AddData(&nfgen{family: unix.NFPROTO_UNSPEC})
	if err := unix.Sendto(fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
						return syscall.Errno(-errno)
					}
				}
				return nil
			}
			if len(m.Data) < 4 {
				continue
			}
			fn(m.Data[0], nftAttrs(m.Data[4:]))
		}
	}
}

// nfgen is struct nfgenmsg.
type nfgen struct{ family uint8 }

func (g *nfgen) Len() int          { return 4 }
func (g *nfgen) Serialize() []byte { return []byte{g.family, 0, 0, 0} }

// nftAttrs parses netlink attributes, keyed by type (flags masked).
func nftAttrs(b []byte) map[uint16][]byte {
	out := map[uint16][]byte{}
	for _, a := range nftRaw(b) {
		out[a.typ] = a.val
	}
	return out
}

// nftList returns the values of the attributes of type typ, in order.
func nftList(b []byte, typ uint16) [][]byte {
	var out [][]byte
	for _, a := range nftRaw(b) {
		if a.typ == typ {
			out = append(out, a.val)
		}
	}
	return out
}

type rawAttr struct {
	typ uint16
	val []byte
}

func nftRaw(b []byte) []rawAttr {
	var out []rawAttr
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		if l < 4 || l > len(b) {
			break
		}
		out = append(out, rawAttr{binary.NativeEndian.Uint16(b[2:]) & 0x3fff, b[4:l]})
		step := (l + 3) &^ 3
		if step > len(b) {
			break
		}
		b = b[step:]
	}
	return out
}

// cstr is a NUL-terminated attribute string.
func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
