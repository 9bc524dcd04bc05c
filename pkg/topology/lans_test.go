package topology

import (
	"reflect"
	"testing"
)

func TestLANs(t *testing.T) {
	l, _, err := Parse("lans.yaml", []byte(`
switches: {s1: {}, s2: {}, s3: {}, s4: {}}
hosts: {h1: {}, h2: {}, h3: {}, h4: {}, h5: {}, r1: {forward: true}}
links:
  - endpoints: [s1, s2]
  - endpoints: [h1, s1]
  - endpoints: [h2, s2]
  - endpoints: [h3, s2]
  - endpoints: [r1, s2]
  - endpoints: [r1, s3]
  - endpoints: [h4, s3]
  - endpoints: [h5, r1]
  - endpoints: [h3, s1]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []LAN{
		{Switches: []string{"s1", "s2"}, Hosts: 5, Members: []string{"h1", "h2", "h3", "r1"}},
		{Switches: []string{"s3"}, Hosts: 2, Members: []string{"r1", "h4"}},
		{Switches: []string{"s4"}, Hosts: 0},
	}
	if got := l.LANs(); !reflect.DeepEqual(got, want) {
		t.Errorf("LANs = %+v\nwant %+v", got, want)
	}
}
