package topology

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Ready says when a service is ready: once a socket of its node listens
// on TCP port TCP, or is bound to UDP port UDP (any address, IPv4 or
// IPv6). Exactly one of the two is set. up waits for it, and a service
// that comes after this one starts only then.
type Ready struct {
	TCP int `json:"tcp,omitempty"`
	UDP int `json:"udp,omitempty"`
}

// Proto is "tcp" or "udp".
func (r *Ready) Proto() string {
	if r.TCP != 0 {
		return "tcp"
	}
	return "udp"
}

// Port is the port waited for.
func (r *Ready) Port() int { return r.TCP + r.UDP }

// String is the socket waited for, as check writes it: "tcp/80".
func (r *Ready) String() string { return r.Proto() + "/" + strconv.Itoa(r.Port()) }

var readyFields = []string{"tcp", "udp"}

// readyHint is how a ready: entry is written.
const readyHint = "write ready: {tcp: 80} (a socket listening on TCP port 80) or ready: {udp: 53} (one bound to UDP port 53)"

// decodeReady decodes a service's ready: entry (what names the
// service); nil when it has problems, which are reported.
func (d *decoder) decodeReady(f field, what string) *Ready {
	what += " ready"
	n := d.resolve(f.value)
	if n == nil || isNull(n) || n.Kind != yaml.MappingNode {
		shown := quoted("nothing")
		if n != nil && !isNull(n) {
			shown = d.describe(n)
		}
		d.errorf(d.pos(f.value), readyHint, "%s must be a mapping with tcp: or udp:, not %s", what, shown)
		return nil
	}
	r := &Ready{}
	ok := true
	var first string
	for _, rf := range d.mapping(f.value, what, readyFields...) {
		port := d.integer(rf.value, what+" "+rf.key+" port", 1, 65535)
		if port == 0 {
			ok = false
			continue
		}
		if first != "" {
			d.errorf(rf.at, "a service waits for one socket: keep "+first+": or "+rf.key+":", "%s has both %s and %s", what, first, rf.key)
			ok = false
			continue
		}
		first = rf.key
		if rf.key == "tcp" {
			r.TCP = port
		} else {
			r.UDP = port
		}
	}
	if first == "" && ok && len(n.Content) == 0 { // else the unknown key was reported
		d.errorf(f.at, readyHint, "%s has neither tcp: nor udp:", what)
	}
	if !ok || first == "" {
		return nil
	}
	return r
}
