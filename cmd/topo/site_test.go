package main

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestSitePart(t *testing.T) {
	whole, _, err := topology.Parse("lab.yaml", []byte(`name: x
sites:
  m1: {underlay: 192.0.2.1}
  m2: {underlay: 192.0.2.2}
hosts:
  h1: {site: m1}
  h2: {site: m2}
links:
  - endpoints: [h1, h2]
`))
	if err != nil {
		t.Fatal(err)
	}
	one, _, err := topology.Parse("one.yaml", []byte("hosts: {h1: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lab        *topology.Lab
		flag, env  string
		site, fail string
	}{
		{lab: whole, flag: "m2", site: "m2"},
		{lab: whole, env: "m1", site: "m1"},
		{lab: whole, flag: "m2", env: "m1", site: "m2"},
		{lab: whole, fail: "lab x is split across sites (m1, m2): say which part this machine builds with --site NAME"},
		{lab: whole, flag: "m3", fail: `lab x has no site "m3": its sites are m1, m2`},
		{lab: one, flag: "m1", fail: "one.yaml has no sites: --site m1 is for a lab split across machines"},
		{lab: one},
	} {
		siteFlag = c.flag
		t.Setenv("TOPO_SITE", c.env)
		got, err := sitePart(c.lab, c.lab.File)
		switch {
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("flag %q env %q: %v, want %q", c.flag, c.env, err, c.fail)
		case c.fail == "" && err != nil:
			t.Errorf("flag %q env %q: %v", c.flag, c.env, err)
		case c.fail == "" && got.Site != c.site:
			t.Errorf("flag %q env %q: site %q, want %q", c.flag, c.env, got.Site, c.site)
		}
	}
	siteFlag = ""

	part, _ := whole.ForSite("m1")
	if err := siteMatches(part, "m1"); err != nil {
		t.Errorf("m1's part for m1: %v", err)
	}
	if err := siteMatches(part, "m2"); err == nil || !strings.Contains(err.Error(), "lab x is up here as site m1's part, not site m2's") {
		t.Errorf("m1's part for m2: %v", err)
	}
	if err := siteMatches(one, "m2"); err == nil || !strings.Contains(err.Error(), "as a whole lab") {
		t.Errorf("a whole lab for m2: %v", err)
	}
}
