package topology

import (
	"slices"
	"strings"
	"testing"
)

func TestParseReady(t *testing.T) {
	for _, c := range []struct {
		desc, entry string
		want        Ready
		str         string
	}{
		{"tcp", "{tcp: 80}", Ready{TCP: 80}, "tcp/80"},
		{"udp", "{udp: 53}", Ready{UDP: 53}, "udp/53"},
		{"block", "\n          tcp: 65535", Ready{TCP: 65535}, "tcp/65535"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			lab, _ := mustParse(t, "lab.yaml", y("hosts:", "  h1:", "    services:", "      web:", "        command: x", "        ready: "+c.entry))
			r := lab.Node("h1").Service("web").Ready
			if r == nil || *r != c.want || r.String() != c.str {
				t.Errorf("ready = %+v, want %+v (%s)", r, c.want, c.str)
			}
		})
	}
	lab, _ := mustParse(t, "lab.yaml", y("hosts:", "  h1: {services: {web: x}}"))
	if r := lab.Node("h1").Service("web").Ready; r != nil {
		t.Errorf("a service without ready: has %+v", r)
	}
}

func TestParseReadyInvalid(t *testing.T) {
	svc := func(ready string) string {
		return y("hosts:", "  h1:", "    services:", "      web: {command: x, ready: "+ready+"}")
	}
	for _, c := range []invalidCase{
		{desc: "unknown key", src: svc("{tpc: 80}"), line: 4, col: 33, msg: `service web ready: unknown field "tpc"`, hint: "tcp"},
		{desc: "port zero", src: svc("{tcp: 0}"), line: 4, col: 38, msg: "ready tcp port must be a whole number from 1 to 65535", hint: "from 1 to 65535"},
		{desc: "port too big", src: svc("{udp: 65536}"), line: 4, col: 38, msg: "ready udp port must be a whole number from 1 to 65535"},
		{desc: "port not a number", src: svc("{tcp: http}"), line: 4, col: 38, msg: `not "http"`},
		{desc: "both", src: svc("{tcp: 80, udp: 53}"), line: 4, col: 42, msg: "ready has both tcp and udp", hint: "keep tcp: or udp:"},
		{desc: "neither", src: svc("{}"), line: 4, col: 25, msg: "ready has neither tcp: nor udp:", hint: "ready: {tcp: 80}"},
		{desc: "a number", src: svc("80"), line: 4, col: 32, msg: `ready must be a mapping with tcp: or udp:, not "80"`, hint: "ready: {tcp: 80}"},
		{desc: "a list", src: svc("[tcp, 80]"), line: 4, col: 32, msg: "not a list"},
		{desc: "null", src: y("hosts:", "  h1:", "    services:", "      web:", "        command: x", "        ready:"), line: 6, col: 15, msg: "not nothing"},
	} {
		t.Run(c.desc, c.run)
	}
}

// TestReadyEveryProblemAtOnce: problems of ready: entries are reported
// together, with those of the rest of the service.
func TestReadyEveryProblemAtOnce(t *testing.T) {
	_, _, err := Parse("lab.yaml", []byte(y("hosts:", "  h1:", "    services:",
		`      web: {command: x, restart: sometimes, ready: {tcp: 0}}`,
		`      dns: {command: y, ready: {tcp: 53, udp: 53}}`)))
	if err == nil {
		t.Fatal("the file was accepted")
	}
	for _, want := range []string{`lab.yaml:4:34: host h1: service web: restart "sometimes" is not valid`, "lab.yaml:4:58: host h1 service web ready tcp port", "lab.yaml:5:42: host h1 service dns ready has both tcp and udp"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// TestDiffReadyAlone: editing ready: alone restarts nothing, since it
// does not change how the service runs.
func TestDiffReadyAlone(t *testing.T) {
	parse := func(ready string) *Lab {
		lab, _ := mustParse(t, "lab.yaml", y("hosts:", "  h1:", "    services:", "      a: {command: sleep 100"+ready+"}"))
		return lab
	}
	obs := &Observed{Nodes: map[string]*ObservedNode{"h1": {Name: "h1", LoopbackUp: true, Sysctls: defaultValues[KindHost]}}}
	before := parse("")
	for _, ready := range []string{", ready: {tcp: 80}", ", ready: {udp: 80}"} {
		if p := Diff(parse(ready), Current{Applied: before, Observed: obs}); !p.Empty() {
			var steps []string
			for _, s := range p.Steps {
				steps = append(steps, s.String())
			}
			t.Errorf("adding%s plans %v", ready, steps)
		}
	}
	if !slices.Equal(parse(", ready: {tcp: 80}").Node("h1").Services[0].After, nil) {
		t.Errorf("ready: changed after:")
	}
}
