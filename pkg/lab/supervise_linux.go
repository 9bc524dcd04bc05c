package lab

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/service"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// A lab's services are kept by one supervisor process per lab: the topo
// binary run again (see MaybeSupervise), detached from the topo that
// started it (its own session, reparented to init), so the services
// outlive `topo up`. up writes the desired services and signals it
// (SIGHUP); down stops it (SIGTERM: each service gets SIGTERM, then
// SIGKILL after the grace period) before it removes the lab.

// The environment that makes the topo binary a supervisor.
const (
	envSupervise = "TOPO_SUPERVISE"       // the lab's name
	envStage     = "TOPO_SUPERVISE_STAGE" // "1": start stage 2 detached and exit
	envRoot      = "TOPO_SUPERVISE_ROOT"  // Root
)

// serviceGrace is how long a stopping service has between SIGTERM and
// SIGKILL.
const serviceGrace = 5 * time.Second

// MaybeSupervise runs the supervisor and exits when the environment
// asks for it (the topo binary started by up); otherwise it returns at
// once. Call it first thing in main, and in TestMain of tests that
// start services through the test binary.
func MaybeSupervise() {
	name := os.Getenv(envSupervise)
	if name == "" {
		return
	}
	if r := os.Getenv(envRoot); r != "" {
		Root = r
	}
	if os.Getenv(envStage) == "1" {
		cmd := exec.Command("/proc/self/exe", "supervise", name)
		cmd.Args[0] = os.Args[0]
		cmd.Env = append(withoutSupervise(os.Environ()), envSupervise+"="+name, envRoot+"="+Root)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if f, err := os.OpenFile(filepath.Join(svcDir(name), "supervisor.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			cmd.Stdout, cmd.Stderr = f, f
		}
		cmd.Dir = "/"
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "topo supervise:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if err := supervise(name); err != nil {
		fmt.Fprintln(os.Stderr, "topo supervise:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func withoutSupervise(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "TOPO_SUPERVISE") {
			out = append(out, e)
		}
	}
	return out
}

func svcDir(lab string) string { return filepath.Join(Dir(lab), svcDirName) }

// supervise is the supervisor's life: one per lab (the lock file's
// flock), until SIGTERM or until the lab's state is gone.
func supervise(lab string) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	dir := svcDir(lab)
	lock, err := os.OpenFile(filepath.Join(dir, service.LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	// Held open (and so locked) until the supervisor returns: an
	// unreferenced *os.File would be closed by its finalizer.
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return nil // another supervisor keeps this lab
	}
	lock.Truncate(0)
	lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	c := &labCache{lab: lab}
	sv := &service.Supervisor{Dir: dir, Start: func(s service.Spec, log *os.File) (*exec.Cmd, error) {
		own, n := c.get(s.Node)
		return startService(lab, s, own, n, log)
	}, Reload: c.reload, Ready: c.ready, Grace: serviceGrace}
	if err := sv.Reconcile(); err != nil {
		fmt.Fprintln(os.Stderr, "reconcile:", err)
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if err := sv.Reconcile(); err != nil {
					fmt.Fprintln(os.Stderr, "reconcile:", err)
				}
				continue
			}
			sv.StopAll()
			return nil
		case <-tick.C:
			if _, err := os.Stat(statePath(lab)); err != nil {
				// The lab went without telling us (a down that could not
				// stop us): nothing of it is left to keep.
				sv.StopAll()
				return nil
			}
		}
	}
}

// startService starts one service in its node: directly when its
// command is a plain list of words, else with /bin/sh -c; in a process
// group of its own, output to log.
func startService(lab string, s service.Spec, own *ownership, n *topology.Node, log *os.File) (*exec.Cmd, error) {
	env := withoutSupervise(os.Environ())
	for k, v := range s.Service.Env {
		env = append(env, k+"="+v)
	}
	args := []string{"/bin/sh", "-c", s.Service.Command}
	if !strings.ContainsAny(s.Service.Command, "\"'`$&|;<>()*?[]{}~\\#=\n") {
		args = strings.Fields(s.Service.Command)
	}
	return startIn(lab, s.Node, own, n, node.ExecSpec{
		Args: args, Env: env, Dir: "/",
		Stdout: log, Stderr: log,
		NewGroup: true,
	})
}

// labCache is the lab's state as the supervisor last read it (at each
// SIGHUP from up): which namespaces are the lab's, and its nodes, so
// that a start reads no state file. A start with stale records fails
// the ownership check and is tried again after the next reload.
type labCache struct {
	lab string
	mu  sync.Mutex
	own *ownership
	lb  *topology.Lab
}

func (c *labCache) reload() error {
	st, err := LoadState(c.lab)
	if err != nil {
		return err
	}
	if err := fillFromRecords(st); err != nil {
		return err
	}
	c.mu.Lock()
	c.own, c.lb = ownershipOf(st), st.Lab
	c.mu.Unlock()
	return nil
}

// get returns the cached ownership and the node; nil, nil before the
// first reload or for a node it does not know (startIn then reads the
// state itself).
func (c *labCache) get(nodeName string) (*ownership, *topology.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lb == nil {
		return nil, nil
	}
	n := c.lb.Node(nodeName)
	if c.own == nil || n == nil {
		return nil, nil // startIn reads the state itself
	}
	return c.own, n
}

// ready reports whether node's socket on is there (see serviceReady);
// false while it cannot be looked at (the state not read yet, the
// namespace gone): the supervisor asks again.
func (c *labCache) ready(nodeName string, on *topology.Ready) bool {
	c.mu.Lock()
	own := c.own
	c.mu.Unlock()
	if own == nil {
		return false
	}
	ok, _ := serviceReady(own, nodeName, on)
	return ok
}

// supervisorPid is the pid of the lab's running supervisor, or 0.
func supervisorPid(lab string) int {
	f, err := os.Open(filepath.Join(svcDir(lab), service.LockFile))
	if err != nil {
		return 0
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err == nil {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		return 0 // nobody holds it
	}
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	return pid
}

// launchSupervisor starts the lab's supervisor, detached.
func launchSupervisor(lab string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "supervise", lab)
	cmd.Env = append(withoutSupervise(os.Environ()), envSupervise+"="+lab, envStage+"=1", envRoot+"="+Root)
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("start the supervisor of lab %s: %w: %s", lab, err, out)
	}
	return nil
}

// stopSupervisor stops the lab's supervisor, which stops every service
// (SIGTERM, then SIGKILL after the grace period), and waits for it.
func stopSupervisor(lab string) error {
	pid := supervisorPid(lab)
	if pid == 0 {
		return nil
	}
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(serviceGrace + 3*time.Second)
	// The lock goes as the supervisor's files close, a moment before
	// the process itself: wait for both.
	for supervisorPid(lab) != 0 || running(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(2 * time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func signalHUP(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("signal the supervisor (pid %d): %w", pid, err)
	}
	return nil
}

// running reports whether process pid exists and is not a zombie.
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(data), ')')
	return i >= 0 && i+2 < len(data) && data[i+2] != 'Z'
}
