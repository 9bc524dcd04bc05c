package lab

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The files of the state directory, read, written and removed relative
// to a directory opened and checked as statedir_linux.go says: never
// through a symbolic link, and only once checked.

// openFileIn opens the regular file name in the open directory dir
// with flags, never through a symbolic link, and checks it (checkStat)
// before anything is read or written. It opens with O_NONBLOCK, so that
// a FIFO planted there never blocks, and clears it once the file is
// known to be a regular file. A file it creates gets mode (at most).
func openFileIn(dir *os.File, name string, flags int, mode uint32) (*os.File, error) {
	path := filepath.Join(dir.Name(), name)
	fd, err := unix.Openat2(int(dir.Fd()), name, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK),
		Mode:    uint64(mode),
		Resolve: beneath,
	})
	if err != nil {
		return nil, notFollowed(dir, name, path, "open", err)
	}
	var st unix.Stat_t
	err = unix.Fstat(fd, &st)
	switch {
	case err != nil:
		err = &fs.PathError{Op: "stat", Path: path, Err: err}
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = refuse(path, "is not a regular file", "remove it")
	default:
		if err = checkStat(&st, path); err == nil {
			err = unix.SetNonblock(fd, false)
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// readFileIn reads the regular file name of dir (see openFileIn).
func readFileIn(dir *os.File, name string) ([]byte, error) {
	f, err := openFileIn(dir, name, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// readLabFile reads a file of a lab's state directory. A missing
// directory or file wraps fs.ErrNotExist.
func readLabFile(lab, name string) ([]byte, error) {
	dir, err := openLabDir(lab, false)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	return readFileIn(dir, name)
}

// writeLabFile replaces a file of a lab's state directory (made if
// missing) with data, atomically: see writeFileIn.
func writeLabFile(lab, name string, data []byte, mode os.FileMode) error {
	dir, err := openLabDir(lab, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	return writeFileIn(dir, name, data, mode)
}

// writeFileIn replaces name in dir with data so readers, and a topo
// killed at any point, see the old or the new content, never a part: a
// new file (O_EXCL, beneath dir) is written, given mode, and renamed
// over name. A symbolic link at name is replaced, never followed.
//
// It does not fsync. What is written under /run/topo describes kernel
// objects (namespaces, links) that do not outlive the machine, so the
// crash fsync guards against also takes away everything the file
// describes; and if a file is left empty by one, it reads as damaged or
// is skipped, never as wrong. The sync cost a disk flush per node on
// machines where /run is not a tmpfs.
func writeFileIn(dir *os.File, name string, data []byte, mode os.FileMode) error {
	var tmp *os.File
	var tmpName string
	for i := 0; ; i++ {
		tmpName = fmt.Sprintf(".tmp-%s-%d-%d", name, os.Getpid(), i)
		f, err := openFileIn(dir, tmpName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
		if err == nil {
			tmp = f
			break
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return err
		}
	}
	done := false
	defer func() {
		if !done {
			unix.Unlinkat(int(dir.Fd()), tmpName, 0)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := unix.Renameat(int(dir.Fd()), tmpName, int(dir.Fd()), name); err != nil {
		return &fs.PathError{Op: "rename", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	done = true
	return nil
}

// appendLabFile appends data to a file of a lab's state directory (the
// directory and the file made when missing) in one write, so that
// concurrent writers (O_APPEND) never mix their lines.
func appendLabFile(lab, name string, data []byte) error {
	dir, err := openLabDir(lab, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	f, err := openFileIn(dir, name, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeAllIn removes name from dir and, when it is a directory,
// everything in it, without following a symbolic link: a link is
// removed, never what it points at. Missing is success.
//
// Something may be made in the directory while it is being emptied: a
// topo exec that opened a lab's directory before down removed the
// state makes the gate file (see gate_linux.go), and only then finds
// the lab gone. So when the directory is not empty at the end, it is
// listed and emptied again, up to emptyRounds times; once it is gone
// the kernel makes nothing more in it.
func removeAllIn(dir *os.File, name string) error {
	err := unix.Unlinkat(int(dir.Fd()), name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return &fs.PathError{Op: "remove", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	sub, err := openDirIn(dir, name, unix.O_RDONLY, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer sub.Close()
	for round := 1; ; round++ {
		if err := emptyDir(sub); err != nil {
			return err
		}
		if beforeRmdir != nil {
			beforeRmdir(sub)
		}
		err := unix.Unlinkat(int(dir.Fd()), name, unix.AT_REMOVEDIR)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.ENOTEMPTY) || round == emptyRounds {
			return &fs.PathError{Op: "remove", Path: filepath.Join(dir.Name(), name), Err: err}
		}
	}
}

// emptyRounds bounds how often removeAllIn empties a directory that
// something keeps filling.
const emptyRounds = 20

// beforeRmdir, when set (by tests), runs between emptying a directory
// and removing it.
var beforeRmdir func(dir *os.File)

// emptyDir removes everything in the open directory dir (removeAllIn
// of each entry).
func emptyDir(dir *os.File) error {
	if _, err := dir.Seek(0, io.SeekStart); err != nil {
		return &fs.PathError{Op: "seek", Path: dir.Name(), Err: err}
	}
	names, err := dir.Readdirnames(-1)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, n := range names {
		if err := removeAllIn(dir, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// existsIn reports whether dir holds an entry name (of any kind; a
// symbolic link is not followed).
func existsIn(dir *os.File, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}
