package robust

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
)

// routesBody is h1 - r1 - h2 with a route on each end host through the
// router, in both families, and a route on r1 back through h1's link.
const routesBody = `hosts:
  h1:
    routes:
      - {to: 10.88.0.0/16, via: 10.77.1.2}
      - {to: "fd88::/32", via: "fd77:1::2"}
  r1:
    forward: true
    routes:
      - {to: 10.66.0.0/16, via: 10.77.1.1}
  h2:
    routes:
      - {to: default, via: 10.77.2.2}
links:
  - endpoints:
      - {node: h1, interface: eth0, addresses: [10.77.1.1/24, "fd77:1::1/64"]}
      - {node: r1, interface: eth0, addresses: [10.77.1.2/24, "fd77:1::2/64"]}
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [10.77.2.2/24, 10.77.2.3/24]
`

// kernelRoutes lists the routes `ip route` shows in a node, both
// families, one per line, without the kernel's connected routes.
func kernelRoutes(t *testing.T, ns string) string {
	t.Helper()
	var out []string
	for _, fam := range []string{"-4", "-6"} {
		for _, line := range strings.Split(e2e.Sh(t, "ip", "-n", ns, fam, "route", "show", "proto", "static"), "\n") {
			if f := strings.Fields(line); len(f) >= 3 {
				out = append(out, f[0]+" via "+f[2])
			}
		}
	}
	return strings.Join(out, "\n")
}

// hasRoutes fails the test unless every node holds exactly the file's
// routes (routesBody, or the given variant) in the kernel, and the plan
// is empty.
func (l *labT) hasRoutes(when string, want map[string]string) {
	l.T.Helper()
	for n, w := range want {
		if got := kernelRoutes(l.T, l.NS(n)); got != w {
			l.T.Errorf("%s: %s routes:\n%s\nwant:\n%s", when, n, got, w)
		}
	}
	if steps := l.Plan(); len(steps) > 0 {
		l.T.Errorf("%s: plan is not empty: %v", when, steps)
	}
}

var fileRoutes = map[string]string{
	"h1": "10.88.0.0/16 via 10.77.1.2\nfd88::/32 via fd77:1::2",
	"r1": "10.66.0.0/16 via 10.77.1.1",
	"h2": "default via 10.77.2.2",
}

// TestRoutesSurviveSideEffects makes the changes after which the
// kernel drops routes on its own — an address changed on the interface
// a route goes through, the link set down and up (in the file and with
// `topo link`), the link moved to another interface, the peer's
// namespace deleted while a process holds it — and checks that the
// same command puts every route of the file back: the kernel holds
// them and the plan is empty.
func TestRoutesSurviveSideEffects(t *testing.T) {
	l := newLab(t, "routes", routesBody)
	l.Up()
	l.hasRoutes("after up", fileRoutes)

	t.Run("readdress", func(t *testing.T) {
		l := l.in(t)
		for _, body := range []string{strings.Replace(routesBody, "10.77.1.1/24", "10.77.1.11/24", 1), routesBody} {
			l.Write(body)
			l.Up()
			l.hasRoutes("after readdressing h1:eth0", fileRoutes)
		}
	})
	t.Run("state down in the file, then up", func(t *testing.T) {
		l := l.in(t)
		l.Write(strings.Replace(routesBody, `"fd77:1::2/64"]}`, `"fd77:1::2/64"]}`+"\n    state: down", 1))
		r := l.Must("up", l.File)
		if !strings.Contains(r.Stdout, "note: h1 route 10.88.0.0/16 via 10.77.1.2: held while h1:eth0 is down") {
			t.Errorf("up with the link down does not say the route is held:\n%v", r)
		}
		l.hasRoutes("with h1:eth0 down in the file", map[string]string{"h1": "", "r1": "", "h2": "default via 10.77.2.2"})
		if r := l.Must("up", l.File); !strings.Contains(r.Stdout, "nothing to change") {
			t.Errorf("second up with the link down changes something:\n%v", r)
		}
		l.Write(routesBody)
		l.Up()
		l.hasRoutes("after the link came back", fileRoutes)
	})
	t.Run("topo link down, then up", func(t *testing.T) {
		l := l.in(t)
		r := l.Must("link", "--lab", l.Name, "r1:eth0", "down")
		if !strings.Contains(r.Stdout, "held while r1:eth0 is down") {
			t.Errorf("topo link down does not say r1's route is held:\n%v", r)
		}
		if s := l.status(); len(s.Drift) > 0 {
			t.Errorf("status after topo link down shows drift: %v", s.Drift)
		}
		l.Must("link", "--lab", l.Name, "r1:eth0", "up")
		l.hasRoutes("after topo link down and up", fileRoutes)
		if s := l.status(); s.State != "up" || len(s.Drift) > 0 {
			t.Errorf("status after topo link up: %q, drift %v", s.State, s.Drift)
		}
	})
	t.Run("link moved to another interface", func(t *testing.T) {
		l := l.in(t)
		moved := strings.Replace(strings.Replace(routesBody, "{node: h1, interface: eth0,", "{node: h1, interface: eth1,", 1), "", "", 1)
		for _, body := range []string{moved, routesBody} {
			l.Write(body)
			l.Up()
			l.hasRoutes("after moving h1's link", fileRoutes)
		}
	})
	t.Run("peer namespace deleted while held", func(t *testing.T) {
		l := l.in(t)
		l.startSleeper("r1", 200)
		e2e.Sh(t, "ip", "netns", "del", l.NS("r1"))
		l.Up()
		l.hasRoutes("after r1 was recreated", fileRoutes)
	})
}
