package lab

import (
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

// TestReplayRecords: the last line of a node wins, "NODE 0" forgets,
// and lines that prove nothing (or are cut short by a kill) are
// skipped but counted when whole.
func TestReplayRecords(t *testing.T) {
	for _, tc := range []struct {
		desc, journal string
		want          map[string]uint64
		lines         int
	}{
		{"empty", "", map[string]uint64{}, 0},
		{"two nodes", "h1 11\ns1 12\n", map[string]uint64{"h1": 11, "s1": 12}, 2},
		{"last line wins", "h1 11\nh1 13\n", map[string]uint64{"h1": 13}, 2},
		{"forgotten", "h1 11\ns1 12\nh1 0\n", map[string]uint64{"s1": 12}, 3},
		{"forgotten twice", "h1 11\nh1 0\nh1 0\n", map[string]uint64{}, 3},
		{"made again", "h1 11\nh1 0\nh1 14\n", map[string]uint64{"h1": 14}, 3},
		{"no inode", "h1 11\nh2\n", map[string]uint64{"h1": 11}, 2},
		{"not a number", "h1 11\nh2 garbage\nh3 -4\n", map[string]uint64{"h1": 11}, 3},
		{"not a node name", "bad_name 6\n../x 7\n 8\n", map[string]uint64{}, 3},
		{"blank line", "\nh1 11\n\n", map[string]uint64{"h1": 11}, 3},
		{"last line cut short", "h1 11\nh9 40265318", map[string]uint64{"h1": 11}, 1},
		{"forget cut short", "h1 11\nh1 0", map[string]uint64{"h1": 11}, 1},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, lines := replayRecords(strings.NewReader(tc.journal))
			if !maps.Equal(got, tc.want) || lines != tc.lines {
				t.Errorf("replayRecords(%q) = %v in %d lines, want %v in %d", tc.journal, got, lines, tc.want, tc.lines)
			}
		})
	}
}

// TestJournalFor: the journal gains every inode the state knows and
// it lacks (or holds another of), keeps what only it knows, ignores
// claims, and is rewritten only then or when it is too long.
func TestJournalFor(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		have    map[string]uint64
		lines   int
		state   map[string]uint64
		want    map[string]uint64
		rewrite bool
	}{
		{"in step", map[string]uint64{"h1": 11}, 1, map[string]uint64{"h1": 11}, map[string]uint64{"h1": 11}, false},
		{"state knows more", map[string]uint64{"h1": 11}, 1, map[string]uint64{"h1": 11, "h2": 12}, map[string]uint64{"h1": 11, "h2": 12}, true},
		{"other inode", map[string]uint64{"h1": 11}, 1, map[string]uint64{"h1": 15}, map[string]uint64{"h1": 15}, true},
		{"journal knows more", map[string]uint64{"h1": 11, "h2": 12}, 2, map[string]uint64{"h1": 11}, map[string]uint64{"h1": 11, "h2": 12}, false},
		{"claim", map[string]uint64{}, 0, map[string]uint64{"h1": 0}, map[string]uint64{}, false},
		{"claim the journal filled", map[string]uint64{"h1": 11}, 1, map[string]uint64{"h1": 0}, map[string]uint64{"h1": 11}, false},
		{"just short enough", map[string]uint64{"h1": 11}, 18, map[string]uint64{"h1": 11}, map[string]uint64{"h1": 11}, false},
		{"too long", map[string]uint64{"h1": 11}, 19, map[string]uint64{"h1": 11}, map[string]uint64{"h1": 11}, true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			have := maps.Clone(tc.have)
			want, rewrite := journalFor(tc.have, tc.lines, tc.state)
			if !maps.Equal(want, tc.want) || rewrite != tc.rewrite {
				t.Errorf("journalFor = %v, %t; want %v, %t", want, rewrite, tc.want, tc.rewrite)
			}
			if !maps.Equal(have, tc.have) {
				t.Errorf("journalFor changed its input to %v", tc.have)
			}
		})
	}
}

// TestFillClaims: a claim the journal records gets its inode; nothing
// else changes.
func TestFillClaims(t *testing.T) {
	for _, tc := range []struct {
		desc              string
		state, recs, want map[string]uint64
	}{
		{"claim recorded", map[string]uint64{"h1": 0}, map[string]uint64{"h1": 11}, map[string]uint64{"h1": 11}},
		{"claim not recorded", map[string]uint64{"h1": 0}, map[string]uint64{}, map[string]uint64{"h1": 0}},
		{"inode kept", map[string]uint64{"h1": 12}, map[string]uint64{"h1": 11}, map[string]uint64{"h1": 12}},
		{"only recorded", map[string]uint64{}, map[string]uint64{"h1": 11}, map[string]uint64{}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			fillClaims(tc.state, tc.recs)
			if !maps.Equal(tc.state, tc.want) {
				t.Errorf("fillClaims = %v, want %v", tc.state, tc.want)
			}
		})
	}
}

// TestStateFromRecords: the recovered lab has one node per record,
// sorted, desired's version when it has one, else a host.
func TestStateFromRecords(t *testing.T) {
	desired := &topology.Lab{Name: "lab1", Nodes: []*topology.Node{{Name: "s1", Kind: topology.KindSwitch}, {Name: "h3", Kind: topology.KindHost}}}
	for _, tc := range []struct {
		desc    string
		desired *topology.Lab
		recs    map[string]uint64
		want    string // name:kind of each node
	}{
		{"without desired", nil, map[string]uint64{"s1": 12, "h1": 11}, "h1:host s1:host"},
		{"with desired", desired, map[string]uint64{"s1": 12, "h1": 11}, "h1:host s1:switch"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			st := stateFromRecords("lab1", tc.recs, tc.desired)
			var got []string
			for _, n := range st.Lab.Nodes {
				got = append(got, n.Name+":"+string(n.Kind))
			}
			if strings.Join(got, " ") != tc.want || st.Lab.Name != "lab1" || st.Version != stateVersion || !maps.Equal(st.Namespaces, tc.recs) {
				t.Errorf("stateFromRecords = %+v with nodes %v, want nodes %s and namespaces %v", st, got, tc.want, tc.recs)
			}
		})
	}
}

// TestOwnsInode: a recorded inode owns only itself; a claim owns any.
func TestOwnsInode(t *testing.T) {
	for _, tc := range []struct {
		rec, found uint64
		want       bool
	}{{11, 11, true}, {11, 12, false}, {0, 12, true}} {
		if got := ownsInode(tc.rec, tc.found); got != tc.want {
			t.Errorf("ownsInode(%d, %d) = %t, want %t", tc.rec, tc.found, got, tc.want)
		}
	}
}

// stores reads back what both stores say: the saved state's namespaces
// and the journal's.
func stores(t *testing.T, lab string) (state, journal map[string]uint64) {
	t.Helper()
	st, err := LoadState(lab)
	if err != nil {
		t.Fatal(err)
	}
	journal, err = recordedNamespaces(lab)
	if err != nil {
		t.Fatal(err)
	}
	return st.Namespaces, journal
}

// TestOwnership: a claim is saved before anything is made; record and
// adopt reach the journal at once and the state file at the next save;
// forget takes the node out of both; adopt takes only a claimed node;
// and the journal and state files are 0600.
func TestOwnership(t *testing.T) {
	useRoot(t)
	st := &State{Lab: &topology.Lab{Name: "lab1"}}
	own := ownershipOf(st)
	if err := own.claim([]string{"h1", "h2", "h3"}); err != nil {
		t.Fatal(err)
	}
	if state, journal := stores(t, "lab1"); !maps.Equal(state, map[string]uint64{"h1": 0, "h2": 0, "h3": 0}) || len(journal) != 0 {
		t.Fatalf("after claim: state %v, journal %v", state, journal)
	}
	if err := own.record("h1", 11); err != nil {
		t.Fatal(err)
	}
	if err := own.adopt("h2", 12); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"h1", "h4"} {
		if err := own.adopt(n, 99); err == nil || !strings.Contains(err.Error(), "node "+n) {
			t.Errorf("adopt(%s) of a node not claimed = %v, want an error naming it", n, err)
		}
	}
	if state, journal := stores(t, "lab1"); !maps.Equal(state, map[string]uint64{"h1": 0, "h2": 0, "h3": 0}) || !maps.Equal(journal, map[string]uint64{"h1": 11, "h2": 12}) {
		t.Errorf("before save: state %v, journal %v; want the journal ahead", state, journal)
	}
	if !own.owns("h1", 11) || own.owns("h1", 12) || !own.owns("h3", 13) || own.owns("h4", 14) {
		t.Errorf("owns: h1 %t %t, h3 %t, h4 %t; want true false true false", own.owns("h1", 11), own.owns("h1", 12), own.owns("h3", 13), own.owns("h4", 14))
	}
	if err := own.forget("h1"); err != nil {
		t.Fatal(err)
	}
	if err := own.forget("h1"); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
	if err := own.save(); err != nil {
		t.Fatal(err)
	}
	if state, journal := stores(t, "lab1"); !maps.Equal(state, map[string]uint64{"h2": 12, "h3": 0}) || !maps.Equal(journal, map[string]uint64{"h2": 12}) {
		t.Errorf("after forget and save: state %v, journal %v", state, journal)
	}
	if got := own.nodes(); strings.Join(got, " ") != "h2 h3" {
		t.Errorf("nodes = %v, want [h2 h3]", got)
	}
	for _, path := range []string{recordsPath("lab1"), statePath("lab1")} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", path, fi.Mode(), err)
		}
	}
}

// TestOwnershipSync: sync adds to the journal what the state knows,
// keeps what only the journal knows, and compacts a long journal.
func TestOwnershipSync(t *testing.T) {
	useRoot(t)
	if err := appendRecord("lab1", "s1", 4); err != nil {
		t.Fatal(err)
	}
	if err := appendRecord("lab1", "h8", 8); err != nil {
		t.Fatal(err)
	}
	own := ownershipOf(&State{Lab: &topology.Lab{Name: "lab1"}, Namespaces: map[string]uint64{"h5": 11, "s1": 12, "h6": 0}})
	if err := own.sync(); err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"h5": 11, "s1": 12, "h8": 8}
	if got, lines, err := readRecords("lab1"); err != nil || !maps.Equal(got, want) || lines != 3 {
		t.Errorf("after sync: %v in %d lines, %v; want %v in 3", got, lines, err, want)
	}
	for i := range 40 {
		if err := own.record("h7", uint64(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := own.sync(); err != nil {
		t.Fatal(err)
	}
	want["h7"] = 139
	if got, lines, _ := readRecords("lab1"); lines != 4 || !maps.Equal(got, want) {
		t.Errorf("after compaction: %v in %d lines, want %v in 4", got, lines, want)
	}
}

// TestOwnershipConcurrent: nodes recorded and forgotten from many
// goroutines at once (as the executor's workers do) leave the journal
// and the saved state agreeing, line for line. Run with -race.
func TestOwnershipConcurrent(t *testing.T) {
	useRoot(t)
	own := ownershipOf(&State{Lab: &topology.Lab{Name: "lab1"}})
	var names []string
	for i := range 64 {
		names = append(names, fmt.Sprintf("h%d", i))
	}
	if err := own.claim(names); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := own.record(n, uint64(1000+i)); err != nil {
				t.Error(err)
			}
			if i%2 == 0 {
				if err := own.forget(n); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := own.save(); err != nil {
		t.Fatal(err)
	}
	state, journal := stores(t, "lab1")
	if len(state) != 32 || !maps.Equal(state, journal) {
		t.Errorf("state %v and journal %v differ, or do not hold the 32 odd nodes", state, journal)
	}
	if _, lines, _ := readRecords("lab1"); lines != 64+32 {
		t.Errorf("journal has %d lines, want %d (a line lost or cut)", lines, 64+32)
	}
}

// TestRecoverState: a lab is rebuilt from its journal file, and a lab
// without one has nothing to rebuild.
func TestRecoverState(t *testing.T) {
	useRoot(t)
	if _, ok, err := recoverState("nolab", nil); ok || err != nil {
		t.Errorf("recoverState of a lab without records = %v, %v", ok, err)
	}
	if err := appendRecord("lab1", "h1", 4026531840); err != nil {
		t.Fatal(err)
	}
	st, ok, err := recoverState("lab1", nil)
	if err != nil || !ok || len(st.Lab.Nodes) != 1 || st.Namespaces["h1"] != 4026531840 || st.Lab.Name != "lab1" {
		t.Fatalf("recoverState = %+v, %v, %v", st, ok, err)
	}
}

// TestLastRecord: one node's answer from the journal is replayRecords'
// for that node, on every journal of TestReplayRecords' kind.
func TestLastRecord(t *testing.T) {
	for _, journal := range []string{
		"", "h1 11\ns1 12\n", "h1 11\nh1 13\n", "h1 11\ns1 12\nh1 0\n", "h1 11\nh1 0\nh1 0\n",
		"h1 11\nh1 0\nh1 14\n", "h1 11\nh2\n", "h1 11\nh2 garbage\nh3 -4\n", "\nh1 11\n\n",
		"h1 11\nh9 40265318", "h1 11\nh1 0", "h11 5\nh1 7\nh11 6\n",
	} {
		all, _ := replayRecords(strings.NewReader(journal))
		for _, n := range []string{"h1", "h2", "h3", "h9", "h11", "s1"} {
			inode, _ := lastRecord([]byte(journal), n)
			if inode != all[n] {
				t.Errorf("lastRecord(%q, %s) = %d, replayRecords says %d", journal, n, inode, all[n])
			}
		}
	}
}
