package lab

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// workers is how many goroutines apply independent steps. On a small
// machine the kernel's network lock serialises most of the work, so
// more than a couple gains nothing.
var workers = max(2, min(runtime.NumCPU(), 4))

// parallel runs fn(0..n-1) on the workers and joins every error. It
// starts no new call once ctx is done; calls already running finish.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	return parallelOn(ctx, workers, n, fn)
}

// waitWorkers is how many goroutines run steps that mostly wait on the
// kernel rather than use a CPU: unmounting a namespace waits for an RCU
// grace period (about 1 ms on a loaded machine), and waits that run at
// once share one.
const waitWorkers = 16

// parallelOn is parallel on w goroutines.
func parallelOn(ctx context.Context, w, n int, fn func(i int) error) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range min(w, n) {
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
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
