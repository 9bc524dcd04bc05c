package graph

import (
	"bytes"
	"testing"
)

// TestRestate: a live picture restated with new interface states is
// byte for byte the picture Build draws with those states, and the
// picture restated is left as it was.
func TestRestate(t *testing.T) {
	l := rich(t)
	live := func(down ...string) *Live {
		lv := &Live{Ifaces: map[string]LiveIface{}}
		for _, lk := range l.Links {
			for _, e := range lk.Ends {
				li := LiveIface{State: "up", Impair: e.Impair}
				for _, a := range e.Addresses {
					li.Addresses = append(li.Addresses, a.String())
				}
				lv.Ifaces[e.String()] = li
			}
		}
		for _, d := range down {
			li := lv.Ifaces[d]
			li.State = "down"
			lv.Ifaces[d] = li
		}
		return lv
	}
	g := Build(l, Options{Live: live()})
	before := JSON(g)
	states := map[string]string{}
	for k, v := range live("h1:eth0", "r1:eth1").Ifaces {
		states[k] = v.State
	}
	got := JSON(Restate(g, states))
	want := JSON(Build(l, Options{Live: live("h1:eth0", "r1:eth1")}))
	if !bytes.Equal(got, want) {
		t.Errorf("restated:\n%s\nbuilt with those states:\n%s", got, want)
	}
	if !bytes.Equal(JSON(g), before) {
		t.Error("Restate changed the picture it was given")
	}
	if bytes.Equal(got, before) {
		t.Error("two links down, and the picture is the same")
	}
	g2 := Build(withSites(genLab(t, "tree", 2, 4), 3, true), Options{})
	if !bytes.Equal(JSON(Restate(g2, map[string]string{"h1:eth0": "down"})), JSON(g2)) {
		t.Error("a picture of a file (no states) was restated")
	}
}
