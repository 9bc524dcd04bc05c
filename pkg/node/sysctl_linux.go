package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// the namespace of the thread that opens it.
//
// A lookup of /proc/sys/net/ipv4 grows slower with every namespace
// whose settings were ever read (the kernel keeps one cached entry of
// that name per namespace, in one chain), while what lies below it is
// the namespace's own. So each family's directory is opened once and
// the files are opened relative to it. The forwarding sysctls are read
// over netlink instead: no thread switch and no /proc lookup.
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
	err := ns.Do(func() error {
		dirs := map[string]int{}
		defer func() {
			for _, fd := range dirs {
				unix.Close(fd)
			}
		}()
		for _, k := range rest {
			v, err := readSysctlAt(dirs, k)
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

// readSysctlAt reads a valid net.* key through the open directory of
// its first level (net.ipv4, net.ipv6, ...), opening and caching it in
// dirs when needed.
func readSysctlAt(dirs map[string]int, key string) (string, error) {
	parts := strings.Split(key, ".")
	if len(parts) < 3 {
		p, _ := sysctlPath(key)
		b, err := os.ReadFile(p)
		return strings.TrimSpace(string(b)), err
	}
	top := "/proc/sys/net/" + parts[1]
	dir, ok := dirs[top]
	if !ok {
		fd, err := unix.Open(top, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", &fs.PathError{Op: "open", Path: top, Err: err}
		}
		dirs[top], dir = fd, fd
	}
	rel := strings.Join(parts[2:], "/")
	fd, err := unix.Openat(dir, rel, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", &fs.PathError{Op: "open", Path: top + "/" + rel, Err: err}
	}
	defer unix.Close(fd)
	var b [256]byte
	n, err := unix.Read(fd, b[:])
	if err != nil {
		return "", &fs.PathError{Op: "read", Path: top + "/" + rel, Err: err}
	}
	return strings.TrimSpace(string(b[:n])), nil
}

// WriteSysctl sets the net.* sysctl key to value inside ns (opening the
// file on a thread switched into ns). A key the kernel does not have is
// an error wrapping fs.ErrNotExist.
func WriteSysctl(ns *Namespace, key, value string) error {
	p, err := sysctlPath(key)
	if err != nil {
		return err
	}
	return ns.Do(func() error {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return sysctlErr(ns, key, err)
		}
		_, err = f.Write([]byte(value))
		if cerr := f.Close(); err == nil {
			err = cerr
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
