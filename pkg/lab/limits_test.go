package lab

import (
	"errors"
	"strings"
	"testing"
)

func TestMachineProblems(t *testing.T) {
	ok := machineLimits{openFiles: 20000, netNamespaces: 96365, netUsed: 200, pidMax: 32768, pidsUsed: 300}
	if err := machineProblems("big", ok, 11155, 10); err != nil {
		t.Fatalf("11,155 nodes on a roomy machine: %v", err)
	}
	unknown := machineLimits{openFiles: -1, netNamespaces: -1, netUsed: -1, pidMax: -1, pidsUsed: -1}
	if err := machineProblems("big", unknown, 1e6, 1e6); err != nil {
		t.Fatalf("nothing known, yet refused: %v", err)
	}
	for _, c := range []struct {
		m     machineLimits
		nodes int
		procs int
		want  []string
	}{
		{machineLimits{openFiles: 100, netNamespaces: -1, netUsed: -1, pidMax: -1, pidsUsed: -1}, 10, 0,
			[]string{"open-file limit is 100", "ulimit -n 1024"}},
		{machineLimits{openFiles: 20000, netNamespaces: 1000, netUsed: 200, pidMax: -1, pidsUsed: -1}, 1111, 0,
			[]string{"1111 more network namespaces", "has 200 and allows 1000", "sysctl -w user.max_net_namespaces=2335"}},
		{machineLimits{openFiles: 20000, netNamespaces: -1, netUsed: -1, pidMax: 1000, pidsUsed: 900}, 10, 200,
			[]string{"starts 200 processes", "runs 900 and allows 1000", "sysctl -w kernel.pid_max=2200"}},
	} {
		err := machineProblems("big", c.m, c.nodes, c.procs)
		if !errors.Is(err, ErrMachineLimit) {
			t.Errorf("%+v: %v, want ErrMachineLimit", c.m, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q does not say %q", err, w)
			}
		}
	}
}
