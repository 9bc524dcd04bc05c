package node

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Do runs fn on a locked OS thread switched into the network namespace
// ns, then switches the thread back. It is the only place in topo that
// moves a thread between namespaces.
//
// fn runs on a dedicated goroutine; it must not start goroutines that
// expect to run in ns (they would run on other threads), and must not
// unlock the thread. Sockets and files that fn opens keep referring to
// ns after Do returns, so they can be used from any goroutine.
//
// If the thread cannot be switched back, it stays locked and the Go
// runtime discards it when the goroutine exits, so no other goroutine
// ever runs in the wrong namespace.
func Do(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		errc <- doLocked(ns, fn)
	}()
	return <-errc
}

func doLocked(ns netns.NsHandle, fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open current network namespace: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace: %w", err)
	}
	fnErr := fn()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: the runtime kills it on goroutine exit.
		return fmt.Errorf("return to original network namespace: %w (after: %v)", err, fnErr)
	}
	runtime.UnlockOSThread()
	return fnErr
}
