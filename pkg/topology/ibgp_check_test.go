package topology

import (
	"strings"
	"testing"
)

// TestIBGPWithoutIGPWarns: r1 and r3 of one AS share no link and run
// no OSPF; the warning points at r1's ibgp: and names r3. With OSPF
// among them, or between linked routers, there is none.
func TestIBGPWithoutIGPWarns(t *testing.T) {
	body := []string{
		"hosts:",
		"  r1: {forward: true, bgp: {asn: 65002, ibgp: true}}",
		"  r2: {forward: true, bgp: {asn: 65002, ibgp: true}}",
		"  r3: {forward: true, bgp: {asn: 65002, ibgp: true}}",
		"  x:  {forward: true, bgp: {asn: 65009}}",
		"switches:",
		"  sw: {}",
		"links:",
		"  - {endpoints: [r1:eth1, r2:eth1], addresses: [10.0.12.1/30, 10.0.12.2/30]}",
		"  - {endpoints: [r2:eth2, sw], addresses: [10.0.23.1/24]}",
		"  - {endpoints: [r3:eth1, sw], addresses: [10.0.23.2/24]}",
	}
	_, warns := mustParse(t, "lab.yaml", y(body...))
	got := warns.Error()
	for _, want := range []string{
		"lab.yaml:2:47: warning: host r1: its iBGP peer r3 (AS 65002) shares no link with it and OSPF does not join them",
		"lab.yaml:4:47: warning: host r3: its iBGP peer r1 (AS 65002)",
		"hint: run OSPF among the AS's routers",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "host r2:") {
		t.Errorf("r2 is linked to both, yet warned:\n%s", got)
	}
	_, warns = mustParse(t, "lab.yaml", y(append([]string{"routing: {ospf: {}}"}, body...)...))
	if strings.Contains(warns.Error(), "iBGP") {
		t.Errorf("OSPF joins them, yet:\n%s", warns.Error())
	}
}
