package node

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSysMountPrivate: settings are read through procfs instances of
// topo's own, not /proc, each serving at most sysMountUses namespaces,
// and a setting written through one is what /proc shows inside the
// namespace.
func TestSysMountPrivate(t *testing.T) {
	needRoot(t)
	var proc unix.Stat_t
	if err := unix.Stat("/proc", &proc); err != nil {
		t.Fatal(err)
	}
	devs := map[uint64]int{}
	var held []*sysMount
	for range 2*sysMountUses + 1 {
		m, err := acquireSysMount()
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, m)
		var st unix.Stat_t
		if err := unix.Fstat(m.fd, &st); err != nil {
			t.Fatal(err)
		}
		devs[st.Dev]++
	}
	for _, m := range held {
		m.release()
	}
	if devs[proc.Dev] > 0 {
		t.Fatalf("settings were opened under /proc (device %d) %d times", proc.Dev, devs[proc.Dev])
	}
	if len(devs) < 3 {
		t.Errorf("%d uses went to %d procfs instances; want at most %d uses each", 2*sysMountUses+1, len(devs), sysMountUses)
	}
	for dev, n := range devs {
		if n > sysMountUses {
			t.Errorf("procfs instance %d served %d namespaces, more than %d", dev, n, sysMountUses)
		}
	}

	ns, _ := newNS(t, "p")
	if err := WriteSysctl(ns, "net.ipv4.conf.all.arp_ignore", "2"); err != nil {
		t.Fatal(err)
	}
	var seen string
	err := ns.Do(func() error {
		b := make([]byte, 16)
		fd, err := unix.Open("/proc/sys/net/ipv4/conf/all/arp_ignore", unix.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		n, err := unix.Read(fd, b)
		seen = string(b[:max(n, 0)])
		return err
	})
	if err != nil || seen != "2\n" {
		t.Fatalf("/proc inside the namespace shows arp_ignore %q (%v), want 2", seen, err)
	}
	got, err := ReadSysctls(ns, []string{"net.ipv4.conf.all.arp_ignore", "net.ipv6.conf.default.accept_dad"})
	if err != nil || got["net.ipv4.conf.all.arp_ignore"] != "2" || got["net.ipv6.conf.default.accept_dad"] == "" {
		t.Fatalf("ReadSysctls = %v, %v", got, err)
	}
}
