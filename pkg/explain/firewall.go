package explain

import "fmt"

// firewall names the first node on the path whose nftables base chains
// on the packet's way may drop it: output at the sender, forward at a
// router, input at the receiver; the request's way first. nil when no
// chain may.
func (w *walker) firewall(p *Path) *Break {
	check := func(hops []Hop, back bool) *Break {
		for i, h := range hops {
			n := w.lab.node(h.Node)
			if n == nil {
				continue
			}
			var hooks []string
			switch {
			case i == 0 && i == len(hops)-1:
				hooks = []string{"output", "input"}
			case i == 0:
				hooks = []string{"output", "postrouting"}
			case i == len(hops)-1:
				hooks = []string{"prerouting", "input"}
			default:
				hooks = []string{"prerouting", "forward", "postrouting"}
			}
			for _, hook := range hooks {
				for _, c := range n.Firewall {
					if c.Hook != hook || !c.PolicyDrop && c.Drops == 0 {
						continue
					}
					what := "the reply"
					if !back {
						what = "the request"
					}
					return &Break{Back: back, Node: h.Node, Kind: KindFirewall,
						Sentence: fmt.Sprintf("%s's firewall may drop %s: nftables chain %s (hook %s) %s", h.Node, what, c, hook, dropText(c))}
				}
			}
		}
		return nil
	}
	if b := check(p.Forward, false); b != nil {
		return b
	}
	return check(p.Back, true)
}

func dropText(c Chain) string {
	switch {
	case c.PolicyDrop && c.Drops > 0:
		return fmt.Sprintf("has policy drop and %d drop rule(s)", c.Drops)
	case c.PolicyDrop:
		return "has policy drop"
	case c.Drops == 1:
		return "has a drop rule"
	}
	return fmt.Sprintf("has %d drop rules", c.Drops)
}
