package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// The start gate keeps processes from starting in a lab while topo
// removes it. A process starts in a node (topo exec, an exec command;
// see startIn) only while its starter holds the gate shared: from
// before it checks the node until the process is forked into it. Down
// holds the gate exclusive from before it looks for the lab's
// processes until the lab's namespaces and state are gone, and up holds
// it while it removes nodes. So a process either starts before down
// looks, and down finds it and kills it, or it does not start at all:
// none survives in a lab that down reported gone. The gate is a flock
// on the file "gate" in the lab's state directory.

// holdGate takes the start gate of the lab whose state directory dir
// is, exclusive: to remove nodes. It makes the gate file when missing.
// The returned function releases the gate. ctx ends a wait for it (the
// error then wraps ErrStoppedWaiting).
func holdGate(ctx context.Context, dir *os.File, lab string) (release func(), err error) {
	f, err := openFileIn(dir, gateFile, unix.O_RDONLY|unix.O_CREAT, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start gate of lab %s: %w", lab, err)
	}
	if err := flock(ctx, f, lab, unix.LOCK_EX, nil); err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}

// errTakenDown is wrapped by the error of a start refused because the
// lab is being, or was meanwhile, taken down.
var errTakenDown = errors.New("is being taken down")

// gateToStart takes the start gate of the lab whose state directory
// dir is, shared, to start a process. While topo down holds it, it
// refuses at once (wrapping errTakenDown); while another topo does (up
// removing nodes), it waits. Once held, the gate must still be the
// lab's, and the lab still have its state: down removes the state
// before the gate, so a start that came too late to meet down's gate
// finds no state, whichever gate it holds. The gate is made when
// missing only while the lab has its state. root is Root, open.
func gateToStart(ctx context.Context, root, dir *os.File, lab string) (release func(), err error) {
	f, err := openFileIn(dir, gateFile, unix.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) && existsIn(dir, stateFile) {
		f, err = openFileIn(dir, gateFile, unix.O_RDONLY|unix.O_CREAT, 0o600)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab %s %w: nothing was started", lab, errTakenDown)
	}
	if err != nil {
		return nil, fmt.Errorf("start gate of lab %s: %w", lab, err)
	}
	if err := flockRetry(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("start gate of lab %s: %w", lab, err)
		}
		if h := holderOf(dir); h.command == "topo down" {
			f.Close()
			return nil, fmt.Errorf("lab %s %w (%s): nothing was started", lab, errTakenDown, h)
		}
		if err := flock(ctx, f, lab, unix.LOCK_SH, nil); err != nil {
			return nil, err
		}
	}
	if !sameIn(f, dir, gateFile) || !sameIn(dir, root, lab) || !existsIn(dir, stateFile) {
		f.Close()
		return nil, fmt.Errorf("lab %s %w: nothing was started", lab, errTakenDown)
	}
	return func() { f.Close() }, nil
}
