package link

import (
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// BridgeConfig converts a planned bridge setting to the kernel's.
func BridgeConfig(c topology.BridgeConf) node.BridgeConfig {
	return node.BridgeConfig{STP: c.STP, ForwardDelay: uint32(c.ForwardDelay), HelloTime: uint32(c.HelloTime), MaxAge: uint32(c.MaxAge), AgeingTime: uint32(c.AgeingTime)}
}

// observedBridge converts the kernel's bridge setting to the planner's.
func observedBridge(c node.BridgeConfig) *topology.BridgeConf {
	return &topology.BridgeConf{STP: c.STP, ForwardDelay: int(c.ForwardDelay), HelloTime: int(c.HelloTime), MaxAge: int(c.MaxAge), AgeingTime: int(c.AgeingTime)}
}
