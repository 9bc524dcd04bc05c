package lab

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// readMachineLimits reads machineLimits; what cannot be read is -1.
func readMachineLimits() machineLimits {
	return machineLimits{
		openFiles:     openFileLimit(),
		netNamespaces: readInt("/proc/sys/user/max_net_namespaces"),
		netUsed:       netNamespacesNow(),
		pidMax:        readInt("/proc/sys/kernel/pid_max"),
		pidsUsed:      processesNow(),
	}
}

func readInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

// netNamespacesNow is the kernel's count of network namespaces (active
// objects of the net_namespace slab), those being freed included.
func netNamespacesNow() int {
	f, err := os.Open("/proc/slabinfo")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 1 && fs[0] == "net_namespace" {
			n, err := strconv.Atoi(fs[1])
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// processesNow counts the processes in /proc.
func processesNow() int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range ents {
		if c := e.Name()[0]; c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}
