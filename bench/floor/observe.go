package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/topo-lab/topo/bench/internal/genfile"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The observe floor reads from the kernel what a no-op `topo up` must
// read to know the lab is as the file says, the cheapest way known,
// with no topo package: for every namespace of a running lab, one
// dump each of its links, addresses, qdiscs and routes over a route
// socket born inside it, and the settings topo keeps (the lists below,
// as topology.SysctlKeys gives them for a host and a switch of a
// generated lab) read as files of a procfs instance of its own (one
// per observeMountUses namespaces, as topo does: under /proc each
// lookup walks an entry of every namespace on the machine). Nothing is
// parsed: the replies are only read to their end.

// hostSettings and switchSettings are the settings topo reads in a
// host and in a switch of a generated lab (no `sysctls:` of its own).
var (
	hostSettings = append(ipv4Settings(), "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
		"net.ipv6.conf.all.keep_addr_on_down", "net.ipv6.conf.default.accept_dad", "net.ipv6.conf.default.router_solicitations")
	switchSettings = []string{"net.ipv6.conf.all.keep_addr_on_down", "net.ipv6.conf.default.accept_dad", "net.ipv6.conf.default.router_solicitations"}
)

func ipv4Settings() []string {
	var out []string
	for _, s := range []string{"accept_source_route", "arp_accept", "arp_announce", "arp_filter", "arp_ignore", "arp_notify",
		"promote_secondaries", "proxy_arp", "route_localnet", "rp_filter", "secure_redirects", "send_redirects"} {
		out = append(out, "net.ipv4.conf.all."+s, "net.ipv4.conf.default."+s)
	}
	return append(out, "net.ipv4.conf.default.accept_redirects")
}

// observeMountUses is how many namespaces one procfs instance serves.
const observeMountUses = 64

// ObserveResult is what floor -observe prints.
type ObserveResult struct {
	Namespaces int     `json:"namespaces"`
	Settings   int     `json:"settings"`
	Dumps      int     `json:"dumps"`
	Workers    int     `json:"workers"`
	ObserveS   float64 `json:"observe_s"`
}

// observeAll reads every namespace of the running lab whose namespaces
// are named nsPrefix+node, on workers threads at once.
func observeAll(path, nsPrefix string, workers int) (res ObserveResult, err error) {
	lab, err := genfile.Load(path)
	if err != nil {
		return res, err
	}
	type job struct {
		name     string
		settings []string
	}
	var jobs []job
	for _, h := range lab.Hosts {
		jobs = append(jobs, job{h, hostSettings})
	}
	for _, s := range lab.Switches {
		jobs = append(jobs, job{s, switchSettings})
	}
	var next, settings, dumps atomic.Int64
	var mounts mountPool
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The thread is left in the last namespace it read and
			// never unlocked: Go discards it when the goroutine ends.
			runtime.LockOSThread()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				n, err := observeOne(filepath.Join(netnsDir, nsPrefix+jobs[i].name), jobs[i].settings, &mounts)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", jobs[i].name, err)
					return
				}
				settings.Add(int64(len(jobs[i].settings)))
				dumps.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	res = ObserveResult{Namespaces: len(jobs), Settings: int(settings.Load()), Dumps: int(dumps.Load()), Workers: workers, ObserveS: time.Since(start).Seconds()}
	mounts.closeAll()
	select {
	case err := <-errs:
		return res, err
	default:
	}
	return res, nil
}

// observeOne switches the calling (locked) thread into the namespace
// at path and reads it; it returns how many dumps it made.
func observeOne(path string, settings []string, mounts *mountPool) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	err = unix.Setns(fd, unix.CLONE_NEWNET)
	unix.Close(fd)
	if err != nil {
		return 0, fmt.Errorf("setns: %w", err)
	}
	sock, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, err
	}
	defer unix.Close(sock)
	if err := unix.Bind(sock, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}
	kinds := []uint16{unix.RTM_GETLINK, unix.RTM_GETADDR, unix.RTM_GETQDISC, unix.RTM_GETROUTE}
	buf := make([]byte, 64<<10)
	for i, kind := range kinds {
		if err := dump(sock, kind, uint32(i+1), buf); err != nil {
			return i, err
		}
	}
	root := mounts.acquire()
	defer mounts.release(root)
	dirs := map[string]int{}
	defer func() {
		for _, d := range dirs {
			unix.Close(d)
		}
	}()
	var val [64]byte
	for _, key := range settings {
		rel := "sys/" + strings.ReplaceAll(key, ".", "/")
		dir, name := filepath.Split(rel)
		d, ok := dirs[dir]
		if !ok {
			if d, err = unix.Openat(root.fd, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
				return len(kinds), fmt.Errorf("open %s: %w", dir, err)
			}
			dirs[dir] = d
		}
		f, err := unix.Openat(d, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return len(kinds), fmt.Errorf("open %s: %w", rel, err)
		}
		_, err = unix.Read(f, val[:])
		unix.Close(f)
		if err != nil {
			return len(kinds), fmt.Errorf("read %s: %w", rel, err)
		}
	}
	return len(kinds), nil
}

// dump sends one dump request of kind (all families) and reads the
// replies up to NLMSG_DONE.
func dump(sock int, kind uint16, seq uint32, buf []byte) error {
	req := nl.NewNetlinkRequest(int(kind), unix.NLM_F_DUMP)
	req.Seq = seq
	// Each kind's own header, all families: the kernel warns of a
	// header of another size.
	switch kind {
	case unix.RTM_GETLINK:
		req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	case unix.RTM_GETADDR:
		req.AddData(nl.NewIfAddrmsg(unix.AF_UNSPEC))
	case unix.RTM_GETQDISC:
		req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC})
	default:
		req.AddData(nl.NewRtMsg())
	}
	if err := unix.Sendto(sock, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	for {
		n, _, err := unix.Recvfrom(sock, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				return fmt.Errorf("dump %d: netlink error", kind)
			}
		}
	}
}

// mountPool hands out procfs instances, a new one every
// observeMountUses namespaces; an old one is closed (unmounted) once
// its last user is done.
type mountPool struct {
	mu  sync.Mutex
	cur *procMount
	all []*procMount
}

type procMount struct {
	fd         int
	refs, uses int
}

func (p *mountPool) acquire() *procMount {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil || p.cur.uses >= observeMountUses {
		if p.cur != nil && p.cur.refs == 0 {
			go unix.Close(p.cur.fd)
		}
		p.cur = &procMount{fd: newProcMount()}
	}
	p.cur.refs++
	p.cur.uses++
	return p.cur
}

func (p *mountPool) release(m *procMount) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m.refs--
	if m.refs == 0 && m != p.cur {
		go unix.Close(m.fd)
	}
}

func (p *mountPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		unix.Close(p.cur.fd)
		p.cur = nil
	}
}

// newProcMount makes a procfs instance attached to no directory and
// returns its root; it falls back to /proc where that cannot be done.
func newProcMount() int {
	fsfd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err == nil {
		defer unix.Close(fsfd)
		if err = unix.FsconfigCreate(fsfd); err == nil {
			var fd int
			if fd, err = unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0); err == nil {
				return fd
			}
		}
	}
	fd, _ := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return fd
}
