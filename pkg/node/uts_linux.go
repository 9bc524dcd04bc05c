package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A node's UTS namespace is bind-mounted on a file of a directory the
// caller has open (a lab's state directory), and reached only through
// that directory's descriptor, never a symbolic link: see openBeneath.

// beneath is how files of such a directory are opened (openat2): below
// it, and never through a symbolic link, /proc's magic links included.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openBeneath opens name, a file of the open directory dir, with
// openat2 and flags (O_CLOEXEC and O_NOFOLLOW added), never following
// a symbolic link.
func openBeneath(dir *os.File, name string, flags int, mode uint32) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	path := filepath.Join(dir.Name(), name)
	fd, err := unix.Openat2(int(dir.Fd()), name, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW),
		Mode:    uint64(mode),
		Resolve: beneath,
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// CreateUTS makes a persistent UTS namespace whose hostname is
// hostname, bind-mounted on name, a new file in the open directory dir.
// Processes started with ExecSpec.UTS set to it (OpenUTS) see that
// hostname. If name exists (a symbolic link too), CreateUTS returns an
// error wrapping fs.ErrExist and changes nothing; on a later failure it
// removes what it made. The switching happens on a private locked
// thread.
func CreateUTS(dir *os.File, name, hostname string) (err error) {
	f, err := openBeneath(dir, name, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create UTS namespace: %w", err)
	}
	defer f.Close()
	defer func() {
		if err != nil {
			DeleteUTS(dir, name)
		}
	}()
	// Mounted on the file just made, through its descriptor.
	err = unshareAndBind([]newNamespace{{flag: unix.CLONE_NEWUTS, typ: "uts", target: fdPath(f)}}, func() error {
		if err := unix.Sethostname([]byte(hostname)); err != nil {
			return fmt.Errorf("sethostname %q: %w", hostname, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create UTS namespace %s: %w", f.Name(), err)
	}
	return nil
}

// OpenUTS opens the UTS namespace CreateUTS mounted on name in the open
// directory dir (for ExecSpec.UTS), never through a symbolic link. The
// error wraps fs.ErrNotExist when there is no such file, and
// ErrNotMounted when the file holds no UTS namespace (a create was
// interrupted; DeleteUTS removes it). The caller must Close it.
func OpenUTS(dir *os.File, name string) (*os.File, error) {
	f, err := openBeneath(dir, name, unix.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("UTS namespace: %w", err)
	}
	if _, err := nsInode(f, unix.CLONE_NEWUTS); err != nil {
		f.Close()
		return nil, fmt.Errorf("UTS namespace %s: %w", f.Name(), err)
	}
	return f, nil
}

// DeleteUTS unmounts and removes name in the open directory dir, a UTS
// namespace made by CreateUTS. Absent is success. A symbolic link of
// that name is removed, never followed.
func DeleteUTS(dir *os.File, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	// The directory by its descriptor, name itself not followed.
	path := filepath.Join(fdPath(dir), name)
	var errs []error
	if err := unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, fmt.Errorf("umount %s: %w", filepath.Join(dir.Name(), name), err))
	}
	if err := unix.Unlinkat(int(dir.Fd()), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, &fs.PathError{Op: "remove", Path: filepath.Join(dir.Name(), name), Err: err})
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete UTS namespace: %w", err)
	}
	return nil
}
