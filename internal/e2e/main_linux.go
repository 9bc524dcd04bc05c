package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
)

// topoPackage is what Main builds.
const topoPackage = "github.com/topo-lab/topo/cmd/topo"

// PrebuiltEnv names the environment variable that gives Main a topo
// binary to use instead of building one (where there is no Go: the VM
// of make test-kernel).
const PrebuiltEnv = "TOPO_E2E_BIN"

// InVMEnv is set (to 1) in the VM of make test-kernel, whose kernel and
// root namespace are the tests' own: there a test that would skip for
// want of a kernel feature fails instead (see Skipf).
const InVMEnv = "TOPO_KERNEL_VM"

var (
	// bin is the topo binary built by Main.
	bin string
	// runID starts every lab name of this run.
	runID string
	// buildErr is set when Main could not build topo.
	buildErr error
)

// Main builds topo (or takes the one PrebuiltEnv names), runs the tests of m and exits. Lab names of this
// run start with prefix and four random hex digits (RunID), so labs of
// concurrent runs never collide. As root, the run fails when it leaves
// a namespace named with RunID, or a link in the root namespace whose
// far end is in one (testns.AddedRootLinks). Call it from TestMain.
func Main(m *testing.M, prefix string) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	runID = prefix + hex.EncodeToString(b[:])
	dir, err := os.MkdirTemp("", "topo-"+prefix+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, prefix+":", err)
		os.Exit(1)
	}
	// Readable by everyone: a test may run the binary as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, prefix+":", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "topo")
	if prebuilt := os.Getenv(PrebuiltEnv); prebuilt != "" {
		// The VM of make test-kernel has no Go: it brings topo along.
		bin = prebuilt
		if _, err := os.Stat(bin); err != nil {
			buildErr = fmt.Errorf("%s=%s: %w", PrebuiltEnv, bin, err)
		}
	} else {
		build := exec.Command("go", "build", "-o", bin, topoPackage)
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build %s: %v\n%s", topoPackage, err, out)
		}
	}
	root := os.Geteuid() == 0
	var before []string
	if root {
		if before, err = testns.RootLinks(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: root namespace links: %v\n", prefix, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if root {
		if left := leftNamespaces(runID); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "%s: namespaces left behind: %v\n", prefix, left)
			code = 1
		}
		added, err := testns.AddedRootLinks(before, runID)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: root namespace links: %v\n", prefix, err)
			code = 1
		}
		if len(added) > 0 {
			fmt.Fprintf(os.Stderr, "%s: links left in the root namespace: %v\n", prefix, added)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// Bin is the path of the topo binary Main built.
func Bin() string { return bin }

// RunID starts every lab name of this run: Main's prefix and four hex
// digits.
func RunID() string { return runID }

// NeedBinary fails t when Main could not build topo.
func NeedBinary(t testing.TB) {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// NeedRoot fails t when topo could not be built, and skips it, saying
// why, unless it runs as root with iproute2 installed: the tests build
// network namespaces.
func NeedRoot(t testing.TB) {
	t.Helper()
	NeedBinary(t)
	if os.Geteuid() != 0 {
		Skipf(t, "skipped: end-to-end tests build network namespaces and need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		Skipf(t, "skipped: the ip command (iproute2) is not installed")
	}
}

// leftNamespaces lists the namespaces named with prefix, in `ip netns
// list` or as files in /run/netns.
func leftNamespaces(prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append(NamespacesWithPrefix(prefix), testns.NetnsFiles(prefix)...) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// RootLinks lists the root namespace's links (testns.RootLinks); it
// fails t when they cannot be read.
func RootLinks(t testing.TB) []string {
	t.Helper()
	links, err := testns.RootLinks()
	if err != nil {
		t.Fatalf("root namespace links: %v", err)
	}
	return links
}

// AddedRootLinks lists the links that appeared in the root namespace
// since before (a RootLinks of earlier) with their far end in one of
// this run's namespaces (testns.AddedRootLinks); it fails t when they
// cannot be read.
func AddedRootLinks(t testing.TB, before []string) []string {
	t.Helper()
	added, err := testns.AddedRootLinks(before, runID)
	if err != nil {
		t.Fatalf("root namespace links: %v", err)
	}
	return added
}

// Skipf skips t with the message, except in the VM of make test-kernel
// (InVMEnv set), where the test was sent to run: there it fails t, so
// that a skip is never counted as a pass.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(InVMEnv) != "" {
		t.Fatalf("in the VM of make test-kernel, this test must run, but it would skip: "+format, args...)
	}
	t.Skipf(format, args...)
}
