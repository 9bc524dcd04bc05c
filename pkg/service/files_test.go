package service

import (
	"os"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDesiredRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if d, err := ReadDesired(dir); err != nil || d.Gen != 0 || len(d.Services) != 0 {
		t.Fatalf("ReadDesired of nothing = %+v, %v", d, err)
	}
	want := &Desired{Gen: 3, Services: []Spec{{Node: "h1", Service: &topology.Service{Name: "web", Command: "x", Env: map[string]string{"A": "b"}}, Token: 2}}}
	if err := WriteDesired(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDesired(dir)
	if err != nil || got.Gen != 3 || len(got.Services) != 1 || !got.Services[0].Service.Equal(want.Services[0].Service) || got.Services[0].Token != 2 || got.Services[0].Key() != "h1/web" {
		t.Errorf("ReadDesired = %+v, %v", got, err)
	}
	if st, err := ReadStatus(dir); st != nil || err != nil {
		t.Errorf("ReadStatus of nothing = %+v, %v", st, err)
	}
}
