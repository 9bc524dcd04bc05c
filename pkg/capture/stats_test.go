package capture

import (
	"strings"
	"testing"
)

func TestWriteSummary(t *testing.T) {
	var b strings.Builder
	WriteSummary(&b, []IfaceStats{{Name: "h2:eth0", Captured: 4, Seen: 9, Dropped: 0}}, false)
	if want := "4 frames captured on h2:eth0, 0 dropped by the kernel\n"; b.String() != want {
		t.Errorf("one interface:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	WriteSummary(&b, []IfaceStats{
		{Name: "h1:eth0", Captured: 12, Seen: 30, Dropped: 1},
		{Name: "r1:eth1", Captured: 1, Seen: 2, Gone: true},
	}, true)
	want := "" +
		"interface       captured      seen   dropped\n" +
		"h1:eth0               12        30         1\n" +
		"r1:eth1 (gone)         1         2         0\n" +
		"total                 13        32         1\n" +
		"(dropped: by the kernel, for want of room in topo's buffer)\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant\n%s", b.String(), want)
	}
}
