package probe

import (
	"errors"
	"sync"
)

// SharedOpener wraps open so that each source is opened once, on first
// use, and then handed to every Check that uses the returned Opener,
// with its sockets and what it learnt (routes, next hops) kept: for
// probing in several rounds. Closing a source it returned does
// nothing; closeAll closes them all, once every Check is done. A failed
// open is not kept: the next Check tries again. Any goroutine.
func SharedOpener(open Opener) (shared Opener, closeAll func() error) {
	var mu sync.Mutex
	opened := map[string]*sharedCall{}
	shared = func(from string) (Source, error) {
		mu.Lock()
		c, ok := opened[from]
		if !ok {
			c = &sharedCall{done: make(chan struct{})}
			opened[from] = c
		}
		mu.Unlock()
		if !ok {
			c.src, c.err = open(from)
			if c.err != nil {
				mu.Lock()
				delete(opened, from)
				mu.Unlock()
			}
			close(c.done)
		}
		<-c.done
		if c.err != nil {
			return nil, c.err
		}
		return keptSource{c.src}, nil
	}
	closeAll = func() error {
		mu.Lock()
		defer mu.Unlock()
		var errs []error
		for from, c := range opened {
			<-c.done
			if c.src != nil {
				errs = append(errs, c.src.Close())
			}
			delete(opened, from)
		}
		return errors.Join(errs...)
	}
	return shared, closeAll
}

type sharedCall struct {
	done chan struct{}
	src  Source
	err  error
}

// keptSource is a shared Source whose Close leaves it open.
type keptSource struct{ Source }

func (keptSource) Close() error { return nil }
