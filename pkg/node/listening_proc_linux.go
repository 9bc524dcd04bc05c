package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netns"
)

// listeningProc is ListeningPorts read from the namespace's procfs
// tables (/proc/net/tcp, tcp6, udp, udp6 as a thread in ns sees them),
// for a kernel without socket diagnostics: Debian's stock kernel
// answers NETLINK_SOCK_DIAG with ENOENT until the inet_diag modules are
// loaded, which a machine without modprobe never does.
func listeningProc(ns netns.NsHandle, proto string) (map[int]bool, error) {
	var tables [2][]byte
	err := Do(ns, func() error {
		for i, suffix := range []string{"", "6"} {
			data, err := os.ReadFile("/proc/thread-self/net/" + proto + suffix)
			if err != nil && !os.IsNotExist(err) { // no tcp6: no IPv6
				return err
			}
			tables[i] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ports := map[int]bool{}
	for _, t := range tables {
		procPorts(t, proto, ports)
	}
	return ports, nil
}

// procPorts adds to ports the local ports of a /proc/net/{tcp,udp}[6]
// table's sockets: listening (state 0A) for TCP, any for UDP. Pure.
func procPorts(table []byte, proto string, ports map[int]bool) {
	listen := fmt.Sprintf("%02X", tcpListen)
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if ok && err == nil && (proto != "tcp" || f[3] == listen) {
			ports[int(p)] = true
		}
	}
}
