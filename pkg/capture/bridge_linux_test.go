package capture

import (
	"testing"

	"github.com/topo-lab/topo/pkg/node"
)

// TestBridgeDevice keeps the name a switch's Selection leaves out in
// step with the bridge topo makes.
func TestBridgeDevice(t *testing.T) {
	if bridgeDevice != node.BridgeName {
		t.Errorf("bridgeDevice is %q, node.BridgeName %q", bridgeDevice, node.BridgeName)
	}
}
