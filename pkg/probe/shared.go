package probe

import (
	"context"
	"errors"
)

// SharedOpener wraps open so that each source is opened once, on first
// use, and then handed to every Check that uses the returned Opener,
// with its sockets and what it learnt (routes, next hops) kept: for
// probing in several rounds. Closing a source it returned does
// nothing; closeAll closes them all, once every Check is done. A failed
// open is not kept: the next Check tries again. Any goroutine.
func SharedOpener(open Opener) (shared Opener, closeAll func() error) {
	var opened onceMap[string, Source]
	shared = func(from string) (Source, error) {
		src, _, err := opened.do(context.Background(), from, func() (Source, error) { return open(from) },
			func(_ Source, err error) bool { return err == nil })
		if err != nil {
			return nil, err
		}
		return keptSource{src}, nil
	}
	closeAll = func() error {
		var errs []error
		for _, src := range opened.drain() {
			errs = append(errs, src.Close())
		}
		return errors.Join(errs...)
	}
	return shared, closeAll
}

// keptSource is a shared Source whose Close leaves it open.
type keptSource struct{ Source }

func (keptSource) Close() error { return nil }
