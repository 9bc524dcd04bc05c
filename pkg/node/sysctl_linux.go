package node

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/sys/unix"
)

// sysctlPath turns a dotted key into its /proc/sys path, refusing
// anything that is not a plain net.* key.
func sysctlPath(key string) (string, error) {
	if !strings.HasPrefix(key, "net.") || strings.Contains(key, "..") || strings.HasSuffix(key, ".") {
		return "", fmt.Errorf("invalid sysctl %q: must be a net.* key", key)
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "", fmt.Errorf("invalid sysctl %q: only a-z, 0-9, '_', '.', '-' allowed", key)
		}
	}
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/"), nil
}

// ReadSysctls reads the net.* sysctls keys as seen from inside ns and
// returns their values, trimmed, keyed like keys. A key the kernel does
// not have is an error wrapping fs.ErrNotExist. The files are opened on
// a thread switched into ns (via ns.Do), because /proc/sys/net shows
// the namespace of the thread that opens it, and through a procfs
// instance of topo's own (see sysMount): under /proc, a lookup of
// net/ipv4 grows slower with every namespace on the machine. Each
// directory is opened once and its files relative to it. The
// forwarding sysctls are read over netlink instead: no thread switch
// and no procfs.
func ReadSysctls(ns *Namespace, keys []string) (map[string]string, error) {
	return readSysctls(ns, keys, false)
}

// ReadPresentSysctls is ReadSysctls, but a key the kernel does not have
// (a setting of an interface that is gone, a module not loaded) is left
// out of the result instead of failing the whole read.
func ReadPresentSysctls(ns *Namespace, keys []string) (map[string]string, error) {
	return readSysctls(ns, keys, true)
}

func readSysctls(ns *Namespace, keys []string, skipMissing bool) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	var rest []string
	for _, k := range keys {
		fam := map[string]int{sysctlForwardV4: unix.AF_INET, sysctlForwardV6: unix.AF_INET6}[k]
		if fam != 0 {
			v, err := readForwarding(ns, fam)
			if err != nil {
				return nil, err
			}
			out[k] = v
			continue
		}
		if _, err := sysctlPath(k); err != nil {
			return nil, err
		}
		rest = append(rest, k)
	}
	if len(rest) == 0 {
		return out, nil
	}
	m, err := acquireSysMount()
	if err != nil {
		return nil, fmt.Errorf("%s: read sysctls: open /proc: %w", ns.Name, err)
	}
	defer m.release()
	err = ns.Do(func() error {
		dirs := sysDirs{root: m.fd, fds: map[string]int{}}
		defer dirs.close()
		for _, k := range rest {
			v, err := dirs.read(k)
			if skipMissing && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return sysctlErr(ns, k, err)
			}
			out[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sysDirs opens the settings of the calling thread's namespace under a
// procfs root, keeping each directory open (keyed by its path under
// root) so that its files are opened relative to it.
type sysDirs struct {
	root int
	fds  map[string]int
}

// file opens the file of a valid net.* key with flags.
func (d sysDirs) file(key string, flags int) (int, error) {
	rel := sysctlRel(key)
	i := strings.LastIndexByte(rel, '/')
	dir, name := rel[:i], rel[i+1:]
	fd, ok := d.fds[dir]
	if !ok {
		var err error
		fd, err = unix.Openat(d.root, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: "/proc/" + dir, Err: err}
		}
		d.fds[dir] = fd
	}
	f, err := unix.Openat(fd, name, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: "/proc/" + rel, Err: err}
	}
	return f, nil
}

// read returns the trimmed value of a valid net.* key.
func (d sysDirs) read(key string) (string, error) {
	fd, err := d.file(key, unix.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	var b [256]byte
	n, err := unix.Read(fd, b[:])
	if err != nil {
		return "", &fs.PathError{Op: "read", Path: "/proc/" + sysctlRel(key), Err: err}
	}
	return strings.TrimSpace(string(b[:n])), nil
}

// write sets a valid net.* key to value.
func (d sysDirs) write(key, value string) error {
	fd, err := d.file(key, unix.O_WRONLY)
	if err != nil {
		return err
	}
	_, err = unix.Write(fd, []byte(value))
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: "/proc/" + sysctlRel(key), Err: err}
	}
	return nil
}

func (d sysDirs) close() {
	for _, fd := range d.fds {
		unix.Close(fd)
	}
}

// sysctlRel is a valid key's path under a procfs root.
func sysctlRel(key string) string { return "sys/" + strings.ReplaceAll(key, ".", "/") }

// WriteSysctl sets the net.* sysctl key to value inside ns (opening the
// file on a thread switched into ns, as ReadSysctls does). A key the kernel does not have is
// an error wrapping fs.ErrNotExist.
func WriteSysctl(ns *Namespace, key, value string) error {
	if _, err := sysctlPath(key); err != nil {
		return err
	}
	m, err := acquireSysMount()
	if err != nil {
		return fmt.Errorf("%s: set sysctl %s=%s: open /proc: %w", ns.Name, key, value, err)
	}
	defer m.release()
	return ns.Do(func() error {
		dirs := sysDirs{root: m.fd, fds: map[string]int{}}
		defer dirs.close()
		err := dirs.write(key, value)
		if errors.Is(err, fs.ErrNotExist) {
			return sysctlErr(ns, key, err)
		}
		if err != nil {
			return fmt.Errorf("%s: set sysctl %s=%s: %w", ns.Name, key, value, err)
		}
		return nil
	})
}

func sysctlErr(ns *Namespace, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: the kernel has no sysctl %s: %w", ns.Name, key, err)
	}
	return fmt.Errorf("%s: sysctl %s: %w", ns.Name, key, err)
}
