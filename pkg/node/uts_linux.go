package node

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// CreateUTS makes a persistent UTS namespace whose hostname is
// hostname, bind-mounted on path (a new file; its directory must
// exist). Processes started with ExecSpec.UTS = path see that
// hostname. If path exists, CreateUTS returns an error wrapping
// fs.ErrExist and changes nothing; on a later failure it removes what
// it made. The switching happens on a private locked thread.
func CreateUTS(path, hostname string) (err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create UTS namespace: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			unmountAndRemove(path)
		}
	}()
	err = unshareAndBind([]newNamespace{{flag: unix.CLONE_NEWUTS, typ: "uts", target: path}}, func() error {
		if err := unix.Sethostname([]byte(hostname)); err != nil {
			return fmt.Errorf("sethostname %q: %w", hostname, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create UTS namespace %s: %w", path, err)
	}
	return nil
}

// IsNamespace reports whether a namespace is mounted on path.
func IsNamespace(path string) bool {
	var sfs unix.Statfs_t
	return unix.Statfs(path, &sfs) == nil && sfs.Type == nsfsMagic
}

// DeleteUTS unmounts and removes a UTS namespace made by CreateUTS.
// Absent is success.
func DeleteUTS(path string) error {
	if err := unmountAndRemove(path); err != nil {
		return fmt.Errorf("delete UTS namespace %s: %w", path, err)
	}
	return nil
}
