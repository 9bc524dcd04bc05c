package topology

import (
	"encoding/json"
	"maps"
	"net"
	"strings"
	"testing"
	"time"
)

// impairLab is a two-host lab whose one link carries extra (indented
// as link fields, starting on line 7).
func impairLab(extra ...string) string {
	lines := []string{
		"name: imp",
		"hosts:",
		"  h1: {}",
		"  h2: {}",
		"links:",
		"  - endpoints: [h1:eth0, h2:eth0]",
	}
	return y(append(lines, extra...)...)
}

func TestImpairInvalid(t *testing.T) {
	for _, c := range []invalidCase{
		{desc: "negative rate", src: impairLab("    rate: -1mbit"), line: 7, col: 11, msg: "must be positive"},
		{desc: "unknown rate unit", src: impairLab("    rate: 10mbits"), line: 7, col: 11, msg: "10mbits: rates are in bits per second — did you mean 10mbit?"},
		{desc: "rate without any unit", src: impairLab("    rate: 10"), line: 7, col: 11, msg: "no unit"},
		{desc: "rate without unit", src: impairLab("    rate: 10"), line: 7, col: 11, msg: "no unit"},
		{desc: "loss above 100%", src: impairLab("    loss: 150%"), line: 7, col: 11, msg: "not between 0% and 100%"},
		{desc: "negative loss", src: impairLab("    loss: -1%"), line: 7, col: 11, msg: "not between 0% and 100%"},
		{desc: "negative delay", src: impairLab("    delay: -5ms"), line: 7, col: 12, msg: "negative"},
		{desc: "delay without unit", src: impairLab("    delay: 20"), line: 7, col: 12, msg: "not a duration"},
		{desc: "delay in furlongs", src: impairLab("    delay: 3fortnights"), line: 7, col: 12, msg: "not a duration"},
		{desc: "jitter without delay", src: impairLab("    rate: 1mbit", "    jitter: 5ms"), line: 8, col: 5, msg: "jitter without delay"},
		{desc: "reorder without delay", src: impairLab("    reorder: 25%"), line: 7, col: 5, msg: "reorder without delay"},
		{desc: "jitter above delay", src: impairLab("    delay: 5ms", "    jitter: 10ms"), line: 8, col: 13, msg: "larger than the delay"},
		{desc: "queue zero", src: impairLab("    queue: 0"), line: 7, col: 12, msg: "whole number from 1"},
		{desc: "per-end loss above 100%", src: impairLab("    impair:", "      h1:eth0: {loss: 101%}"), line: 8, col: 23, msg: "not between 0% and 100%"},
		{desc: "per-end key not an end", src: impairLab("    impair:", "      h3: {rate: 1mbit}"), line: 8, col: 7, msg: "is not an end of this link"},
	} {
		t.Run(c.desc, c.run)
	}
}

func TestImpairPerDirection(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", impairLab(
		"    rate: 10mbit",
		"    delay: 5ms",
		"    impair:",
		"      h2: {rate: 2mbit, loss: 1%}",
	))
	a, b := lab.Links[0].Ends[0].Impair, lab.Links[0].Ends[1].Impair
	if want := (&Impairment{Rate: 10e6, Delay: 5 * time.Millisecond}); !a.Equal(want) || a.String() != "rate 10mbit delay 5ms" {
		t.Errorf("h1:eth0 = %s, want %s", a, want)
	}
	if want := (&Impairment{Rate: 2e6, Delay: 5 * time.Millisecond, Loss: 1}); !b.Equal(want) {
		t.Errorf("h2:eth0 = %s, want %s", b, want)
	}
	if !lab.Links[0].Ends[0].Impair.NeedsNetem() {
		t.Error("a delay needs netem")
	}
	// Where each field in effect is written: the end's own entry wins.
	for i, want := range []map[string]Pos{
		{"rate": {File: "lab.yaml", Line: 7, Col: 5}, "delay": {File: "lab.yaml", Line: 8, Col: 5}},
		{"rate": {File: "lab.yaml", Line: 10, Col: 12}, "delay": {File: "lab.yaml", Line: 8, Col: 5}, "loss": {File: "lab.yaml", Line: 10, Col: 25}},
	} {
		if got := lab.Links[0].Ends[i].ImpairAt; !maps.Equal(got, want) {
			t.Errorf("end %d: fields at %v, want %v", i, got, want)
		}
	}
	if b, _ := json.Marshal(lab.Links[0]); strings.Contains(string(b), "lab.yaml") {
		t.Errorf("positions leak into the JSON model: %s", b)
	}
	if (&Impairment{Rate: 1e6, Queue: 10}).NeedsNetem() {
		t.Error("a rate and a queue need no netem")
	}
}

func TestImpairEqualTolerances(t *testing.T) {
	base := Impairment{Rate: 10e6, Delay: 20 * time.Millisecond, Loss: 1}
	for _, c := range []struct {
		desc  string
		other Impairment
		equal bool
	}{
		{"same", base, true},
		{"rate within a byte", Impairment{Rate: 10e6 + 7, Delay: 20 * time.Millisecond, Loss: 1}, true},
		{"rate a byte off", Impairment{Rate: 10e6 + 8, Delay: 20 * time.Millisecond, Loss: 1}, false},
		{"delay within a microsecond (kernel ticks)", Impairment{Rate: 10e6, Delay: 20*time.Millisecond + 960*time.Nanosecond, Loss: 1}, true},
		{"delay 2us off", Impairment{Rate: 10e6, Delay: 20*time.Millisecond + 2*time.Microsecond, Loss: 1}, false},
		{"loss rounded", Impairment{Rate: 10e6, Delay: 20 * time.Millisecond, Loss: 1.0000001}, true},
		{"queue chosen by the kernel", Impairment{Rate: 10e6, Delay: 20 * time.Millisecond, Loss: 1, Queue: 1000}, true},
	} {
		if got := base.Equal(&c.other); got != c.equal {
			t.Errorf("%s: Equal = %v, want %v", c.desc, got, c.equal)
		}
	}
	var none *Impairment
	if !none.Equal(&Impairment{}) || none.String() != "none" {
		t.Error("nil must equal the zero impairment and print as none")
	}
}

func TestImpairValidate(t *testing.T) {
	for _, c := range []struct {
		m   Impairment
		msg string
	}{
		{Impairment{Rate: 1e6}, ""},
		{Impairment{Delay: 10 * time.Millisecond, Jitter: 2 * time.Millisecond, Reorder: 5}, ""},
		{Impairment{Jitter: time.Millisecond}, "jitter without delay"},
		{Impairment{Reorder: 1}, "reorder without delay"},
		{Impairment{Delay: time.Millisecond, Jitter: 2 * time.Millisecond}, "larger than the delay"},
		{Impairment{Loss: 150}, "not between 0% and 100%"},
		{Impairment{Delay: -time.Second}, "not between 0 and 1h"},
		{Impairment{Queue: -1}, "whole number"},
	} {
		err := c.m.Validate()
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%s: %v", &c.m, err)
		case c.msg != "" && (err == nil || !strings.Contains(err.Error(), c.msg)):
			t.Errorf("%+v: error %v, want %q", c.m, err, c.msg)
		}
	}
}

// TestImpairPlan checks that a changed impairment plans set-impair for
// exactly the ends that differ, and that the kernel's read-back (rounded
// as Equal allows) plans nothing.
func TestImpairPlan(t *testing.T) {
	build := func(extra ...string) *Lab {
		lab, _ := mustParse(t, "lab.yaml", impairLab(extra...))
		return lab
	}
	applied := build("    rate: 10mbit")
	obs := &Observed{Nodes: map[string]*ObservedNode{}}
	for i, n := range []string{"h1", "h2"} {
		obs.Nodes[n] = &ObservedNode{Name: n, LoopbackUp: true, Ifaces: map[string]*ObservedIface{
			"eth0": {Name: "eth0", Kind: "veth", Index: 10 + i, PeerIndex: 11 - i, MTU: 1500, AdminUp: true, OperState: "up",
				MAC: net.HardwareAddr(applied.Links[0].Ends[i].MAC),
				// tbf's read-back: the kernel's byte rate, and a queue
				// topo chose.
				Impair: &Impairment{Rate: 10e6, Queue: 94}},
		}}
	}
	cur := Current{Applied: applied, Observed: obs}
	// Only the links' steps: the observed nodes here carry no sysctls.
	linkSteps := func(l *Lab) []Step {
		var out []Step
		for _, s := range Diff(l, cur).Steps {
			if s.Op != OpSetSysctl {
				out = append(out, s)
			}
		}
		return out
	}
	if steps := linkSteps(applied); len(steps) != 0 {
		t.Fatalf("re-up plans %v, want nothing", steps)
	}
	steps := linkSteps(build("    rate: 10mbit", "    impair:", "      h1: {rate: 2mbit}"))
	if len(steps) != 1 || steps[0].Op != OpSetImpair || steps[0].Node != "h1" || steps[0].Impair.Rate != 2e6 {
		t.Errorf("changing h1's rate plans %v, want one set-impair on h1:eth0", steps)
	}
	steps = linkSteps(build())
	if len(steps) != 2 {
		t.Fatalf("removing the rate plans %v, want set-impair on both ends", steps)
	}
	for _, s := range steps {
		if s.Op != OpSetImpair || !s.Impair.IsZero() {
			t.Errorf("removing the rate: step %v, want set-impair none", s)
		}
	}
}
