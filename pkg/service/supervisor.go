package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// StartFunc starts one service in its node with its output going to
// log; the supervisor waits for the command.
type StartFunc func(s Spec, log *os.File) (*exec.Cmd, error)

// Supervisor keeps the services of one lab running.
type Supervisor struct {
	// Dir is the lab's services directory: desired and status files,
	// and the logs (Dir/NODE/SERVICE.log).
	Dir   string
	Start StartFunc
	// Grace is how long a stopped service has between SIGTERM and
	// SIGKILL.
	Grace time.Duration
	// Reload, when set, is called at each Reconcile before anything
	// starts, so Start can read the lab as up left it.
	Reload func() error
	// Ready, when set, reports whether node's socket on (a service's
	// ready:) is there; a service after one with ready: starts only
	// then. Without it such a service counts as ready once started.
	Ready func(node string, on *topology.Ready) bool

	// starting bounds how many starts run at once: each forks from a
	// thread of its own that enters the node's namespaces.
	starting chan struct{}

	mu sync.Mutex
	// wmu serialises writes of the status file.
	wmu     sync.Mutex
	gen     int
	running map[string]*runner
	order   []string
	// changed is closed and made anew at each Reconcile, for those who
	// wait for a service that was replaced, or may be ready.
	changed chan struct{}
	// watching counts the services being watched until they are ready.
	watching int
	// dirty asks writeBehind for a write of the status file; quit ends
	// it (StopAll), and it closes behindDone when it has.
	dirty      chan struct{}
	quit       chan struct{}
	behindDone chan struct{}
	quitOnce   sync.Once
}

// statusEvery is the least time between two writes of the status file
// while states keep changing. Each write is the whole file, about 2 ms
// for a thousand services, and starting a thousand changes a thousand
// states: written at every change, the writes (and the reads of those
// who wait on them) were most of the cost of starting them.
const statusEvery = 50 * time.Millisecond

// maxStarting is how many services start at once.
const maxStarting = 8

// runner is the goroutine that keeps one service.
type runner struct {
	spec   Spec
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// tried is closed once the first start was tried, or once the
	// runner is held: Reconcile waits for it.
	tried chan struct{}
	// started is closed once the first start was tried.
	started chan struct{}
	// ready is closed once the services after this one may start: when
	// its first start was tried, or, with ready:, once it is ready.
	ready     chan struct{}
	readyOnce sync.Once
	// held is closed once the runner waits for a service to be ready
	// (or for one that is not there): those after it are held too.
	held     chan struct{}
	heldOnce sync.Once
	// ended is closed once the service exited and will not be
	// restarted.
	ended chan struct{}
	// readyOn is what ready: waits for (nil for none), kept up to date
	// by Reconcile: an edit of ready: alone keeps the runner. sv.mu.
	readyOn *topology.Ready
	st      State
}

// Reconcile brings the running services in line with the desired file:
// services gone or changed are stopped, then new and changed ones are
// started, all at once but each after the services of its after: list
// were started (or, those with ready:, are ready). It returns once
// every service was tried, or waits for one to be ready.
func (sv *Supervisor) Reconcile() error {
	d, err := ReadDesired(sv.Dir)
	if err != nil {
		return err
	}
	if sv.Reload != nil {
		if err := sv.Reload(); err != nil {
			return err
		}
	}
	want := map[string]Spec{}
	for _, s := range d.Services {
		want[s.Key()] = s
	}
	sv.mu.Lock()
	if sv.running == nil {
		sv.running = map[string]*runner{}
		sv.starting = make(chan struct{}, maxStarting)
		sv.changed = make(chan struct{})
		sv.dirty, sv.quit, sv.behindDone = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go sv.writeBehind()
	}
	var stop []*runner
	for k, r := range sv.running {
		if w, ok := want[k]; !ok || !w.Service.Equal(r.spec.Service) || w.Token != r.spec.Token {
			stop = append(stop, r)
			delete(sv.running, k)
		} else {
			r.readyOn = w.Service.Ready
		}
	}
	sv.mu.Unlock()
	stopAll(stop)
	var order []string
	var all []*runner
	sv.mu.Lock()
	for _, s := range d.Services {
		order = append(order, s.Key())
		r := sv.running[s.Key()]
		if r == nil {
			r = sv.newRunner(s)
			sv.running[s.Key()] = r
			go func() {
				defer close(r.done)
				sv.keep(r.ctx, r)
			}()
		}
		all = append(all, r)
	}
	close(sv.changed)
	sv.changed = make(chan struct{})
	sv.mu.Unlock()
	for _, r := range all {
		<-r.tried
	}
	sv.mu.Lock()
	sv.gen, sv.order = d.Gen, order
	sv.mu.Unlock()
	return sv.writeStatus()
}

// StopAll stops every service and writes the last status, for the
// supervisor's exit: the Supervisor is not to be used after it.
func (sv *Supervisor) StopAll() {
	sv.mu.Lock()
	var all []*runner
	for _, r := range sv.running {
		all = append(all, r)
	}
	sv.running = map[string]*runner{}
	quit, behindDone := sv.quit, sv.behindDone
	sv.mu.Unlock()
	stopAll(all)
	// The last word is this write's, none of writeBehind's after it.
	if quit != nil {
		sv.quitOnce.Do(func() { close(quit) })
		<-behindDone
	}
	sv.writeStatus()
}

func stopAll(rs []*runner) {
	for _, r := range rs {
		r.cancel()
	}
	for _, r := range rs {
		<-r.done
	}
}

func (sv *Supervisor) newRunner(s Spec) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{spec: s, ctx: ctx, cancel: cancel, done: make(chan struct{}), tried: make(chan struct{}),
		started: make(chan struct{}), ready: make(chan struct{}), held: make(chan struct{}), ended: make(chan struct{}),
		readyOn: s.Service.Ready,
		st:      State{Node: s.Node, Name: s.Service.Name, State: StateStarting, Since: time.Now()}}
}

// set changes a runner's state; writeBehind writes it out.
func (sv *Supervisor) set(r *runner, f func(st *State)) {
	sv.mu.Lock()
	f(&r.st)
	sv.mu.Unlock()
	select {
	case sv.dirty <- struct{}{}:
	default: // a write is already asked for: it will have this change
	}
}

// writeBehind writes the status file after a change: at once after a
// quiet spell, then at most every statusEvery while changes come, until
// StopAll.
func (sv *Supervisor) writeBehind() {
	defer close(sv.behindDone)
	for {
		select {
		case <-sv.quit:
			return
		case <-sv.dirty:
		}
		sv.writeStatus()
		select {
		case <-sv.quit:
			return
		case <-time.After(statusEvery):
		}
	}
}

// keep runs one service until ctx ends.
func (sv *Supervisor) keep(ctx context.Context, r *runner) {
	var backoff time.Duration
	var tried bool
	signalTried := func() {
		if !tried {
			tried = true
			close(r.tried)
		}
	}
	defer signalTried()
	// hold: a service may take its time to be ready; Reconcile does not
	// wait for those waiting for it.
	hold := func() {
		r.markHeld()
		signalTried()
	}
	if !sv.waitAfter(ctx, r, hold) {
		return
	}
	// firstTried says the first start was tried; with ready:, those
	// after r wait for it to be ready (see waitFor).
	firstTried := sync.OnceFunc(func() {
		if sv.Ready == nil || sv.readyOn(r) == nil {
			r.markReady()
		}
		close(r.started)
		signalTried()
	})
	for {
		log, err := openLog(sv.Dir, r.spec)
		var cmd *exec.Cmd
		if err == nil {
			fmt.Fprintf(log, "--- %s: start %s\n", time.Now().Format(time.RFC3339), r.spec.Service.Command)
			sv.starting <- struct{}{}
			cmd, err = sv.Start(r.spec, log)
			<-sv.starting
			log.Close()
		}
		began := time.Now()
		exit := -1
		if err != nil {
			sv.set(r, func(st *State) {
				st.State, st.Error, st.Pid, st.Since = StateFailing, err.Error(), 0, began
			})
			firstTried()
		} else {
			sv.set(r, func(st *State) {
				st.State, st.Error, st.Pid, st.Since = StateRunning, "", cmd.Process.Pid, began
			})
			firstTried()
			exit = sv.wait(ctx, cmd)
			if ctx.Err() != nil {
				sv.set(r, func(st *State) { st.State, st.Pid, st.Exit, st.Since = StateStopped, 0, &exit, time.Now() })
				return
			}
			appendLog(sv.Dir, r.spec, fmt.Sprintf("--- %s: exited with status %d\n", time.Now().Format(time.RFC3339), exit))
		}
		if !shouldRestart(r.spec.Service.Restart, exit) {
			sv.set(r, func(st *State) {
				st.State, st.Pid, st.Since = StateExited, 0, time.Now()
				if err == nil {
					st.Exit = &exit
				}
			})
			close(r.ended)
			<-ctx.Done()
			return
		}
		backoff = nextBackoff(backoff, time.Since(began))
		sv.set(r, func(st *State) {
			st.State, st.Pid = StateFailing, 0
			if err == nil {
				st.Exit = &exit
			}
		})
		select {
		case <-ctx.Done():
			sv.set(r, func(st *State) { st.State = StateStopped })
			return
		case <-time.After(backoff):
		}
		sv.set(r, func(st *State) { st.Restarts++ })
	}
}

// wait waits for cmd; when ctx ends first it stops the command's
// process group: SIGTERM, then SIGKILL after the grace period.
func (sv *Supervisor) wait(ctx context.Context, cmd *exec.Cmd) int {
	exited := make(chan int, 1)
	go func() { exited <- exitStatus(cmd.Wait()) }()
	select {
	case code := <-exited:
		// Whatever the service left in its group goes with it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return code
	case <-ctx.Done():
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case code := <-exited:
		syscall.Kill(-pgid, syscall.SIGKILL)
		return code
	case <-time.After(sv.Grace):
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	return <-exited
}

func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

func openLog(dir string, s Spec) (*os.File, error) {
	p := LogPath(dir, s.Node, s.Service.Name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

func appendLog(dir string, s Spec, line string) {
	if f, err := openLog(dir, s); err == nil {
		f.WriteString(line)
		f.Close()
	}
}

// writeStatus writes every service's state, in start order.
func (sv *Supervisor) writeStatus() error {
	sv.wmu.Lock()
	defer sv.wmu.Unlock()
	sv.mu.Lock()
	st := &Status{Gen: sv.gen, Pid: os.Getpid()}
	seen := map[string]bool{}
	for _, k := range sv.order {
		if r := sv.running[k]; r != nil {
			st.Services = append(st.Services, r.st)
			seen[k] = true
		}
	}
	for k, r := range sv.running {
		if !seen[k] {
			st.Services = append(st.Services, r.st)
		}
	}
	sv.mu.Unlock()
	return writeJSON(filepath.Join(sv.Dir, StatusFile), st)
}
