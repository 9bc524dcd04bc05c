package link

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

var errNotFoundForTest = fs.ErrNotExist

func TestNetemFromFiles(t *testing.T) {
	const rel = "6.1.0-test"
	mods := "/lib/modules/" + rel
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(path string) ([]byte, error) {
			if s, ok := m[path]; ok {
				return []byte(s), nil
			}
			return nil, errNotFoundForTest
		}
	}
	for _, tc := range []struct {
		desc           string
		files          map[string]string
		present, known bool
	}{
		{"loaded", map[string]string{"/sys/module/sch_netem/refcnt": "0\n"}, true, true},
		{"built in", map[string]string{mods + "/modules.builtin": "kernel/net/sched/sch_tbf.ko\nkernel/net/sched/sch_netem.ko\n"}, true, true},
		{"module on disk, compressed", map[string]string{mods + "/modules.dep": "kernel/net/sched/sch_netem.ko.xz:\n"}, true, true},
		{"config y", map[string]string{"/proc/config.gz": "CONFIG_NET_SCH_NETEM=y\n"}, true, true},
		{"config not set", map[string]string{"/proc/config.gz": "# CONFIG_NET_SCH_NETEM is not set\n"}, false, true},
		{"boot config m, module missing", map[string]string{"/boot/config-" + rel: "CONFIG_NET_SCH_NETEM=m\n", mods + "/modules.dep": "kernel/net/sched/sch_tbf.ko:\n"}, false, true},
		{"boot config m, no module dir", map[string]string{"/boot/config-" + rel: "CONFIG_NET_SCH_NETEM=m\n"}, true, false},
		{"module lists without netem", map[string]string{mods + "/modules.builtin": "kernel/net/sched/sch_netem_x.ko\n", mods + "/modules.dep": ""}, false, true},
		{"nothing to read", map[string]string{}, true, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := netemFromFiles(files(tc.files), rel)
			if s.Present != tc.present || s.Known != tc.known || s.Reason == "" {
				t.Errorf("got %+v, want present %v known %v", s, tc.present, tc.known)
			}
		})
	}
}

func TestCheckKernelSentence(t *testing.T) {
	missing := func() NetemSupport { return NetemSupport{Known: true, Reason: "test"} }
	l := &topology.Lab{Name: "lab1", Links: []*topology.Link{
		{Ends: [2]topology.Endpoint{{Node: "h1", Interface: "eth0", Impair: &topology.Impairment{Rate: 1e6}}, {Node: "h2", Interface: "eth0"}}},
		{Ends: [2]topology.Endpoint{{Node: "h1", Interface: "eth1"}, {Node: "h3", Interface: "eth0", Impair: &topology.Impairment{Delay: time.Millisecond}}},
			Pos: topology.Pos{File: "file.yaml", Line: 12}},
	}}
	want := "lab lab1 asks for delay on h3:eth0 (file.yaml:12), but this kernel has no netem qdisc (sch_netem): rate limits work, delay/jitter/loss/corrupt/duplicate/reorder need netem"
	if err := checkKernel(l, missing); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// From a file, the message points at the field, not the link.
	l.Links[1].Ends[1].ImpairAt = map[string]topology.Pos{"delay": {File: "file.yaml", Line: 14, Col: 5}}
	want = strings.Replace(want, "(file.yaml:12)", "(file.yaml:14:5)", 1)
	if err := checkKernel(l, missing); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	l.Links = l.Links[:1] // rate only: no need for netem
	if err := checkKernel(l, missing); err != nil {
		t.Errorf("rate only: %v", err)
	}
}
