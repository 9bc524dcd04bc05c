package capture

import (
	"testing"
	"time"
)

func TestMerger(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	m := &merger{maxHeld: 1 << 20}
	// Interface 1 hands over its block late: its frames at 5 and 20 ms
	// arrive after interface 0's at 10 and 30 ms.
	for _, fr := range []Frame{
		{Time: ms(10), Iface: 0, Data: []byte{1}},
		{Time: ms(30), Iface: 0, Data: []byte{2}},
		{Time: ms(5), Iface: 1, Data: []byte{3}},
		{Time: ms(20), Iface: 1, Data: []byte{4}},
		{Time: ms(20), Iface: 0, Data: []byte{5}}, // same time: after 4
	} {
		m.push(fr)
	}
	if _, ok := m.pop(ms(4), false); ok {
		t.Fatal("a frame newer than the watermark left")
	}
	var got []byte
	for {
		fr, ok := m.pop(ms(20), false)
		if !ok {
			break
		}
		got = append(got, fr.Data[0])
	}
	if string(got) != string([]byte{3, 1, 4, 5}) {
		t.Errorf("up to 20 ms: %v, want [3 1 4 5]", got)
	}
	if m.len() != 1 {
		t.Errorf("%d frames wait, want 1 (the one at 30 ms)", m.len())
	}
	if fr, ok := m.pop(ms(0), true); !ok || fr.Data[0] != 2 {
		t.Errorf("drain: %v %v, want the frame at 30 ms", fr, ok)
	}
	if _, ok := m.pop(ms(100), true); ok {
		t.Error("an empty merger let a frame out")
	}
}

// TestMergerBounded checks that frames leave early rather than hold
// more than maxHeld bytes.
func TestMergerBounded(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := &merger{maxHeld: 100}
	m.push(Frame{Time: t0, Data: make([]byte, 60)})
	if _, ok := m.pop(t0.Add(-time.Hour), false); ok {
		t.Fatal("left early with room to spare")
	}
	m.push(Frame{Time: t0.Add(time.Second), Data: make([]byte, 60)})
	if fr, ok := m.pop(t0.Add(-time.Hour), false); !ok || !fr.Time.Equal(t0) {
		t.Fatalf("over the bound: %v %v, want the oldest", fr, ok)
	}
	if _, ok := m.pop(t0.Add(-time.Hour), false); ok {
		t.Fatal("under the bound again, but a frame left early")
	}
}
