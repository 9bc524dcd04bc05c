package probe

import (
	"context"
	"sync"
)

// onceMap computes one value per key and shares it: the first caller
// of a key runs the computation, later callers wait for its result. A
// result that keep rejects is dropped once computed, so the next caller
// computes again. The zero value is ready to use.
type onceMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*onceCall[V]
}

type onceCall[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// do returns key's value, running fn to compute it when no caller has
// yet; first reports that this caller ran it. keep (nil: keep all)
// says whether a result stays for later callers. A caller whose ctx
// ends while it waits for another's computation gets ctx's error.
func (o *onceMap[K, V]) do(ctx context.Context, key K, fn func() (V, error), keep func(V, error) bool) (v V, first bool, err error) {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[K]*onceCall[V]{}
	}
	c, found := o.m[key]
	if !found {
		c = &onceCall[V]{done: make(chan struct{})}
		o.m[key] = c
	}
	o.mu.Unlock()
	if !found {
		c.v, c.err = fn()
		if keep != nil && !keep(c.v, c.err) {
			o.mu.Lock()
			if o.m[key] == c {
				delete(o.m, key)
			}
			o.mu.Unlock()
		}
		close(c.done)
		return c.v, true, c.err
	}
	select {
	case <-c.done:
		return c.v, false, c.err
	case <-ctx.Done():
		var zero V
		return zero, false, ctx.Err()
	}
}

// drain empties the map and returns the values computed without error,
// waiting for the computations under way.
func (o *onceMap[K, V]) drain() []V {
	o.mu.Lock()
	calls := o.m
	o.m = nil
	o.mu.Unlock()
	var out []V
	for _, c := range calls {
		<-c.done
		if c.err == nil {
			out = append(out, c.v)
		}
	}
	return out
}
