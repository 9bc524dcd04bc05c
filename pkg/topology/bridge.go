package topology

import (
	"fmt"
	"strings"
)

// BridgeConf is the spanning tree setting and the timers of a switch's
// bridge, the timers in hundredths of a second (the kernel's clock_t).
type BridgeConf struct {
	STP          bool `json:"stp"`
	ForwardDelay int  `json:"forwardDelay"`
	HelloTime    int  `json:"helloTime"`
	MaxAge       int  `json:"maxAge"`
	AgeingTime   int  `json:"ageingTime"`
}

// The kernel's defaults for a new bridge, and the forward delay topo
// sets with spanning tree on: 2 s, the least the kernel accepts, so
// ports start forwarding soon.
const (
	defaultForwardDelay = 1500
	stpForwardDelay     = 200
	defaultHelloTime    = 200
	defaultMaxAge       = 2000
	defaultAgeingTime   = 30000
)

// BridgeConfOf is the bridge of switch n as topo makes it: spanning
// tree as the file says, the kernel's default timers, and a forward
// delay of 2 s with spanning tree on.
func BridgeConfOf(n *Node) BridgeConf {
	c := BridgeConf{STP: n.STP, ForwardDelay: defaultForwardDelay, HelloTime: defaultHelloTime, MaxAge: defaultMaxAge, AgeingTime: defaultAgeingTime}
	if n.STP {
		c.ForwardDelay = stpForwardDelay
	}
	return c
}

// matches reports whether the kernel's bridge o holds setting c. While
// spanning tree handles a topology change, the kernel ages addresses
// out after twice the forward delay instead of the ageing time, and
// reports that.
func (c BridgeConf) matches(o BridgeConf) bool {
	if c.STP && o.STP && o.AgeingTime == 2*o.ForwardDelay {
		o.AgeingTime = c.AgeingTime
	}
	return c == o
}

// String names the setting that matters to a reader: "stp on".
func (c BridgeConf) String() string { return "stp " + onOff(c.STP) }

// changes lists what differs from was to c: "ageing_time 10s -> 300s".
func (c BridgeConf) changes(was BridgeConf) string {
	var out []string
	if c.STP != was.STP {
		out = append(out, "stp "+onOff(was.STP)+" -> "+onOff(c.STP))
	}
	for _, t := range []struct {
		name     string
		was, now int
	}{
		{"forward_delay", was.ForwardDelay, c.ForwardDelay},
		{"hello_time", was.HelloTime, c.HelloTime},
		{"max_age", was.MaxAge, c.MaxAge},
		{"ageing_time", was.AgeingTime, c.AgeingTime},
	} {
		if t.was != t.now {
			out = append(out, fmt.Sprintf("%s %s -> %s", t.name, centis(t.was), centis(t.now)))
		}
	}
	return strings.Join(out, ", ")
}

// centis renders hundredths of a second as seconds: "2s", "0.5s".
func centis(n int) string {
	if n%100 == 0 {
		return itoa(n/100) + "s"
	}
	return fmt.Sprintf("%gs", float64(n)/100)
}
