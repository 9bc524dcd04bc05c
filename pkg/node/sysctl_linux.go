package node

import (
	"errors"

	"fmt"
	"golang.org/x/sys/unix"
	"io/fs"
	"os"
	"strings"
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
// The forwarding sysctls are read over netlink instead: no thread
// switch and no /proc lookup, which grows slow with many namespaces.
func ReadSysctls(ns *Namespace, keys []string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	var rest, paths []string
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
		p, err := sysctlPath(k)
		if err != nil {
			return nil, err
		}
		rest, paths = append(rest, k), append(paths, p)
	}
	if len(rest) == 0 {
		return out, nil
	}
	err := ns.Do(func() error {
		for i, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return sysctlErr(ns, rest[i], err)
			}
			out[rest[i]] = strings.TrimSpace(string(b))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
