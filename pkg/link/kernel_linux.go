package link

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNoNetem means the running kernel has no netem qdisc (sch_netem),
// which delay, jitter, loss, corruption, duplication and reordering
// need. Rate limits (tbf, htb) do not.
var ErrNoNetem = errors.New("this kernel has no netem qdisc (sch_netem)")

// NetemSupport is what topo knows of the kernel's netem qdisc.
type NetemSupport struct {
	// Present is true when the kernel has netem: built in, loaded, or a
	// module on disk that the kernel loads on first use. It is also true
	// when topo could not tell (Known false): topo then tries, and the
	// kernel's refusal is reported when it comes.
	Present bool
	// Known is true when the answer is certain.
	Known bool
	// Reason says how topo knows, e.g. "CONFIG_NET_SCH_NETEM is not set
	// in /proc/config.gz".
	Reason string
}

// DetectNetemFiles tells whether the kernel has netem from files only:
// /sys/module/sch_netem, /lib/modules/$(uname -r)/modules.builtin and
// modules.dep, and the kernel config (/proc/config.gz or
// /boot/config-$(uname -r)). It needs no privileges, changes nothing,
// and may answer Known false. Any goroutine.
func DetectNetemFiles() NetemSupport {
	var uts unix.Utsname
	release := ""
	if unix.Uname(&uts) == nil {
		release = unix.ByteSliceToString(uts.Release[:])
	}
	return netemFromFiles(readKernelFile, release)
}

// readKernelFile reads a file, gunzipping names ending in .gz.
func readKernelFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// netemFromFiles is DetectNetemFiles over a file reader (for tests):
// an error from read means the file is absent or unreadable.
func netemFromFiles(read func(string) ([]byte, error), release string) NetemSupport {
	if _, err := read("/sys/module/sch_netem/refcnt"); err == nil {
		return NetemSupport{Present: true, Known: true, Reason: "the sch_netem module is loaded"}
	}
	modDir := "/lib/modules/" + release
	builtin, errBuiltin := read(modDir + "/modules.builtin")
	if hasModule(builtin, "sch_netem") {
		return NetemSupport{Present: true, Known: true, Reason: "netem is built into the kernel (" + modDir + "/modules.builtin)"}
	}
	dep, errDep := read(modDir + "/modules.dep")
	if hasModule(dep, "sch_netem") {
		return NetemSupport{Present: true, Known: true, Reason: "the sch_netem module is installed and loads on first use"}
	}
	for _, path := range []string{"/proc/config.gz", "/boot/config-" + release} {
		cfg, err := read(path)
		if err != nil {
			continue
		}
		switch configValue(cfg, "CONFIG_NET_SCH_NETEM") {
		case "y":
			return NetemSupport{Present: true, Known: true, Reason: "CONFIG_NET_SCH_NETEM=y in " + path}
		case "m":
			if errDep == nil {
				return NetemSupport{Known: true, Reason: "netem is built as a module (" + path + "), but sch_netem is not installed in " + modDir}
			}
			return NetemSupport{Present: true, Reason: "netem is built as a module (" + path + "), and " + modDir + " cannot be read"}
		default:
			return NetemSupport{Known: true, Reason: "CONFIG_NET_SCH_NETEM is not set in " + path}
		}
	}
	if errBuiltin == nil && errDep == nil {
		return NetemSupport{Known: true, Reason: "sch_netem is neither built in nor installed in " + modDir}
	}
	return NetemSupport{Present: true, Reason: "neither the kernel config nor " + modDir + " says whether netem is there"}
}

// hasModule reports whether a modules.dep or modules.builtin listing
// names module (a path ending in /module.ko, perhaps compressed).
func hasModule(list []byte, module string) bool {
	sc := bufio.NewScanner(bytes.NewReader(list))
	for sc.Scan() {
		path, _, _ := strings.Cut(sc.Text(), ":")
		base := path[strings.LastIndexByte(path, '/')+1:]
		if name, _, _ := strings.Cut(base, ".ko"); name == module && strings.Contains(base, ".ko") {
			return true
		}
	}
	return false
}

// configValue returns "y", "m" or "" (not set) for a kernel config
// option.
func configValue(cfg []byte, option string) string {
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), option+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// ProbeNetem tells whether the kernel has netem by trying it: it adds
// a netem qdisc to lo in a throwaway, unnamed network namespace on a
// private locked thread (node.InThrowawayNetns), which the kernel frees
// at once. Nothing of any lab is touched. ENOENT, EOPNOTSUPP or EINVAL
// from the kernel means netem is missing; EPERM (not root) leaves the
// answer unknown. Any goroutine; needs CAP_SYS_ADMIN and CAP_NET_ADMIN.
func ProbeNetem() NetemSupport {
	err := node.InThrowawayNetns(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer h.Close()
		lo, err := h.LinkByName("lo")
		if err != nil {
			return err
		}
		return h.QdiscAdd(&netlink.Netem{
			QdiscAttrs: netlink.QdiscAttrs{LinkIndex: lo.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
			Latency:    durToTicks(1000),
			Limit:      netemDefaultLimit,
		})
	})
	switch {
	case err == nil:
		return NetemSupport{Present: true, Known: true, Reason: "a netem qdisc could be added in a scratch namespace"}
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL):
		return NetemSupport{Known: true, Reason: fmt.Sprintf("the kernel refused a netem qdisc in a scratch namespace (%v)", err)}
	}
	return NetemSupport{Present: true, Reason: fmt.Sprintf("could not probe for netem: %v", err)}
}

// detectNetem caches DetectNetem's answer for the process.
var detectNetem = sync.OnceValue(func() NetemSupport {
	if s := DetectNetemFiles(); s.Known {
		return s
	}
	return ProbeNetem()
})

// DetectNetem tells whether the kernel has netem: from files when they
// are conclusive, else by ProbeNetem. The answer is cached for the
// process. Any goroutine.
func DetectNetem() NetemSupport { return detectNetem() }

// HaveNetem reports whether the kernel has netem, and how topo knows
// (a reason a test can skip with). See DetectNetem.
func HaveNetem() (bool, string) {
	s := DetectNetem()
	return s.Present, s.Reason
}

// CheckKernel returns an error in one sentence, wrapping ErrNoNetem,
// when some end of the lab asks for a netem field (delay, jitter, loss,
// corrupt, duplicate, reorder) and the kernel has no netem; nil
// otherwise. It builds nothing of the lab (see DetectNetem). Any
// goroutine.
func CheckKernel(l *topology.Lab) error { return checkKernel(l, DetectNetem) }

// CheckKernelFiles is CheckKernel from files only (DetectNetemFiles):
// root-free, and silent unless the files are conclusive.
func CheckKernelFiles(l *topology.Lab) error {
	return checkKernel(l, DetectNetemFiles)
}

func checkKernel(l *topology.Lab, detect func() NetemSupport) error {
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if !e.Impair.NeedsNetem() {
				continue
			}
			if s := detect(); s.Present {
				return nil
			}
			field := NetemField(e.Impair)
			pos, ok := e.ImpairAt[field] // the field itself, else its link
			if !ok {
				pos = lk.Pos
			}
			at := ""
			if p := pos.String(); p != "" {
				at = " (" + p + ")"
			}
			return fmt.Errorf("lab %s asks for %s on %s%s, but %w: rate limits work, delay/jitter/loss/corrupt/duplicate/reorder need netem", l.Name, field, e, at, ErrNoNetem)
		}
	}
	return nil
}

// NetemField names the first field of m that needs netem ("delay",
// "loss", ...), or "" when none does.
func NetemField(m *topology.Impairment) string {
	switch {
	case m == nil:
	case m.Delay != 0:
		return "delay"
	case m.Jitter != 0:
		return "jitter"
	case m.Loss != 0:
		return "loss"
	case m.Corrupt != 0:
		return "corrupt"
	case m.Duplicate != 0:
		return "duplicate"
	case m.Reorder != 0:
		return "reorder"
	}
	return ""
}
