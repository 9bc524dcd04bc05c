// Command floor builds a lab printed by `topo gen` with the fewest
// netlink calls the kernel allows, then tears it down, and prints how
// long each took as JSON: the kernel floor that `make bench` compares
// topo with. It uses no topo package.
//
// Per node: a named namespace (unshare + bind mount on a locked
// thread, like `ip netns add`) with lo up; per switch: one up bridge
// in the switch's namespace, created with a chosen index. Per link:
// one RTM_NEWLINK makes the veth pair with the switch end up and
// enslaved and the peer born in its namespace; one RTM_NEWLINK sets
// the peer up (enslaving it too when it is a switch port); one
// RTM_NEWADDR per host end. Teardown unmounts and unlinks the
// namespaces, like `ip netns delete`; the kernel deletes the rest.
//
// Every namespace is named PREFIX+node. A prefix that already has
// namespaces is refused, and whatever was made is removed on any
// failure or signal. `floor -clean PREFIX` removes leftovers of that
// prefix only.
//
// `floor -ping NSPREFIX LAB.yaml` builds nothing: it probes all pairs
// of the running lab whose namespaces are NSPREFIX+node from raw ICMP
// sockets, the floor of `topo check` (see ping.go).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/topo-lab/topo/bench/internal/genfile"
)

func main() {
	prefix := flag.String("prefix", "", "namespace name prefix, unique to this run (required)")
	workers := flag.Int("workers", 2*runtime.NumCPU(), "parallel netlink workers")
	clean := flag.Bool("clean", false, "only remove the namespaces named PREFIX*")
	hold := flag.Duration("hold", 0, "keep the built lab this long before the teardown (untimed), to look at it")
	window := flag.Int("window", 64, "with -ping: requests of one source outstanding at once")
	resend := flag.Duration("resend", 200*time.Millisecond, "with -ping: send a request again when unanswered this long (once)")
	ping := flag.String("ping", "", "build nothing: probe all pairs of the running lab whose namespaces are named PING+node (the ICMP floor)")
	observe := flag.String("observe", "", "build nothing: read what a no-op topo up reads from every namespace of the running lab whose namespaces are named OBSERVE+node")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: floor -prefix P [-workers N] LAB.yaml | floor -clean -prefix P | floor -ping NSPREFIX LAB.yaml | floor -observe NSPREFIX LAB.yaml")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *ping != "" && flag.NArg() == 1 {
		res, err := pingAll(flag.Arg(0), *ping, *window, *resend)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	if *observe != "" && flag.NArg() == 1 {
		res, err := observeAll(flag.Arg(0), *observe, *workers)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	if *prefix == "" || (!*clean && flag.NArg() != 1) {
		flag.Usage()
		os.Exit(2)
	}
	if *clean {
		n, err := cleanPrefix(*prefix)
		fmt.Fprintf(os.Stderr, "floor: removed %d namespaces named %s*\n", n, *prefix)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	res, err := run(flag.Arg(0), *prefix, *workers, *hold)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

// Result is what floor prints.
type Result struct {
	Namespaces int     `json:"namespaces"`
	Links      int     `json:"links"`
	Requests   int     `json:"requests"`
	Workers    int     `json:"workers"`
	NamespaceS float64 `json:"namespaces_s"` // namespaces, lo, bridges
	LinkS      float64 `json:"links_s"`      // veths, addresses, ports
	BuildS     float64 `json:"build_s"`
	TeardownS  float64 `json:"teardown_s"`
}

func run(path, prefix string, workers int, hold time.Duration) (res Result, err error) {
	lab, err := genfile.Load(path)
	if err != nil {
		return res, err
	}
	if old, err := leftovers(prefix); err != nil || len(old) > 0 {
		return res, fmt.Errorf("prefix %q already has %d namespaces (floor -clean -prefix %s): %v", prefix, len(old), prefix, err)
	}
	if err := prepareNetnsDir(); err != nil {
		return res, fmt.Errorf("prepare %s: %w", netnsDir, err)
	}
	b := &builder{prefix: prefix, spaces: map[string]*space{}}
	// Whatever happens from here on, the namespaces go.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-sigc
		cleanPrefix(prefix)
		os.Exit(1)
	}()
	defer func() {
		if err != nil {
			b.closeAll()
			cleanPrefix(prefix)
		}
	}()

	start := time.Now()
	if err := b.namespaces(lab, workers); err != nil {
		return res, err
	}
	mid := time.Now()
	if err := b.links(lab, workers); err != nil {
		return res, err
	}
	b.closeAll()
	built := time.Now()
	if hold > 0 {
		fmt.Fprintf(os.Stderr, "floor: lab built in %.3fs; holding it for %s\n", built.Sub(start).Seconds(), hold)
		time.Sleep(hold)
	}
	tdStart := time.Now()
	if err := b.teardown(workers); err != nil {
		return res, err
	}
	done := time.Now()
	return Result{
		Namespaces: len(b.spaces),
		Links:      len(lab.Links),
		Requests:   int(b.requests.Load()),
		Workers:    workers,
		NamespaceS: mid.Sub(start).Seconds(),
		LinkS:      built.Sub(mid).Seconds(),
		BuildS:     built.Sub(start).Seconds(),
		TeardownS:  done.Sub(tdStart).Seconds(),
	}, nil
}

func cleanPrefix(prefix string) (int, error) {
	paths, err := leftovers(prefix)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range paths {
		if err := removeSpace(p); err != nil {
			errs = append(errs, err)
		}
	}
	return len(paths), errors.Join(errs...)
}

// parallel runs fn(0..n-1) on workers goroutines and returns the
// errors joined.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
