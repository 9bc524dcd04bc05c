package capture

import (
	"errors"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// vectorOut writes many pieces in one writev(2) on a file's descriptor
// (a file, or a pipe for -w -), waiting in Go's poller while a pipe is
// full.
type vectorOut struct{ rc syscall.RawConn }

// vectorWriter returns a vectorOut for w, or nil when w is not a file.
func vectorWriter(w io.Writer) *vectorOut {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	return &vectorOut{rc}
}

// writeAll writes every piece, in order, whatever the kernel takes at
// a time.
func (v *vectorOut) writeAll(pieces [][]byte) error {
	for len(pieces) > 0 {
		var (
			n   int
			err error
		)
		werr := v.rc.Write(func(fd uintptr) bool {
			n, err = unix.Writev(int(fd), pieces)
			return !errors.Is(err, unix.EAGAIN)
		})
		if werr != nil {
			return werr
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		for n > 0 {
			if n >= len(pieces[0]) {
				n -= len(pieces[0])
				pieces = pieces[1:]
			} else {
				pieces[0] = pieces[0][n:]
				n = 0
			}
		}
	}
	return nil
}
