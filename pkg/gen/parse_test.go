package gen

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// lab is a generated file read back, keeping the order of its maps.
type lab struct {
	name     string
	switches []string
	stp      map[string]bool
	hosts    []string
	links    []link
}

// link is one entry of a lab's links list.
type link struct {
	Endpoints []string `yaml:"endpoints"`
	Addresses []string `yaml:"addresses"`
}

// parse reads generated YAML twice: into map[string]any, to check that
// it is plain YAML of the expected structure, and as a yaml.Node, to
// keep key order.
func parse(t *testing.T, text []byte) lab {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(text, &m); err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	for _, k := range []string{"name", "switches", "hosts", "links"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("output has no %q key", k)
		}
	}
	if len(m) != 4 {
		t.Fatalf("output has %d top-level keys, want 4: %v", len(m), m)
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]
	l := lab{stp: map[string]bool{}}
	for i := 0; i < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		switch key {
		case "name":
			l.name = val.Value
		case "switches":
			for j := 0; j < len(val.Content); j += 2 {
				n := val.Content[j].Value
				l.switches = append(l.switches, n)
				var attrs map[string]bool
				if err := val.Content[j+1].Decode(&attrs); err != nil {
					t.Fatalf("switch %s: %v", n, err)
				}
				l.stp[n] = attrs["stp"]
			}
		case "hosts":
			for j := 0; j < len(val.Content); j += 2 {
				l.hosts = append(l.hosts, val.Content[j].Value)
			}
		case "links":
			if err := val.Decode(&l.links); err != nil {
				t.Fatalf("links: %v", err)
			}
		}
	}
	return l
}

// generate calls Generate and fails the test on error.
func generate(t *testing.T, kind string, args ...int) []byte {
	t.Helper()
	b, err := Generate(kind, args, Options{})
	if err != nil {
		t.Fatalf("Generate(%s %v): %v", kind, args, err)
	}
	return b
}

// hostSwitch returns, for each host, the switch its one link goes to.
func hostSwitch(t *testing.T, l lab) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, lk := range l.links {
		if h, ok := strings.CutSuffix(lk.Endpoints[0], ":eth0"); ok {
			if _, dup := out[h]; dup {
				t.Fatalf("host %s has more than one link", h)
			}
			out[h] = lk.Endpoints[1]
		}
	}
	return out
}
