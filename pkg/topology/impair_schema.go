package topology

import (
	"strconv"
	"strings"
	"time"
)

// impairFields are the link fields that shape traffic; each may also
// appear in a per-endpoint entry under impair:.
var impairFields = []string{"rate", "delay", "jitter", "loss", "corrupt", "duplicate", "reorder", "queue"}

// rawImpair holds impairment fields as written, with their lines.
type rawImpair struct {
	line   int
	values map[string]string
	lines  map[string]int
}

// rawEndImpair is one entry of a link's impair: map.
type rawEndImpair struct {
	key string // "h1:eth1", "h1" or a switch name
	imp *rawImpair
}

func (r *rawImpair) set(key, value string, line int) {
	if r.values == nil {
		r.values, r.lines = map[string]string{}, map[string]int{}
	}
	r.values[key], r.lines[key] = value, line
}

// decodeImpairField decodes one impairment field of a link; it
// reports whether the key was one.
func (d *decoder) decodeImpairField(l *rawLink, f field) bool {
	if f.key == "impair" {
		for _, e := range d.mapping(f.value, "link impair") {
			imp := &rawImpair{line: e.line}
			for _, g := range d.mapping(e.value, "impair "+e.key, impairFields...) {
				if v, ok := d.scalar(g.value, g.key); ok {
					imp.set(g.key, v, g.line)
				}
			}
			l.impairs = append(l.impairs, rawEndImpair{key: e.key, imp: imp})
		}
		return true
	}
	if !contains(impairFields, f.key) {
		return false
	}
	if v, ok := d.scalar(f.value, f.key); ok {
		l.impair.set(f.key, v, f.line)
	}
	return true
}

// buildImpairments resolves each end's impairment: the link's
// symmetric fields, overridden field by field by the end's impair:
// entry.
func (b *builder) buildImpairments(li *linkInfo) {
	rl := li.raw
	var per [2]*rawImpair
	for _, e := range rl.impairs {
		i := b.matchEnd(li, e.key)
		if i < 0 {
			var names []string
			for _, end := range li.link.Ends {
				names = append(names, end.String(), end.Node)
			}
			hint := didYouMean(e.key, names)
			if hint == "" {
				hint = "name one of the link's ends: " + li.link.Ends[0].String() + " or " + li.link.Ends[1].String()
			}
			b.errorf(e.imp.line, hint, "impair: %q is not an end of this link", e.key)
			continue
		}
		per[i] = e.imp
	}
	for i := range li.link.Ends {
		m := b.parseImpair(&rl.impair, per[i])
		if !m.IsZero() {
			li.link.Ends[i].Impair = m
		}
	}
}

// matchEnd finds the end named by an impair: key, or -1.
func (b *builder) matchEnd(li *linkInfo, key string) int {
	node, iface, hasIface := strings.Cut(key, ":")
	for i, e := range li.link.Ends {
		if e.Node != node {
			continue
		}
		if !hasIface || e.Interface == iface {
			if li.link.Ends[1-i].Node == node && !hasIface {
				return -1 // both ends on one node cannot be told apart
			}
			return i
		}
	}
	return -1
}

// parseImpair merges the symmetric and per-end fields and checks them.
func (b *builder) parseImpair(sym, end *rawImpair) *Impairment {
	get := func(key string) (string, int, bool) {
		if end != nil {
			if v, ok := end.values[key]; ok {
				return v, end.lines[key], true
			}
		}
		v, ok := sym.values[key]
		return v, sym.lines[key], ok
	}
	m := &Impairment{}
	var err error
	if v, line, ok := get("rate"); ok {
		if m.Rate, err = ParseRate(v); err != nil {
			b.errorf(line, "units: bit, kbit, mbit, gbit (or bps, kbps, mbps for bytes)", "%v", err)
		}
	}
	durations := []struct {
		key string
		dst *time.Duration
	}{{"delay", &m.Delay}, {"jitter", &m.Jitter}}
	for _, f := range durations {
		if v, line, ok := get(f.key); ok {
			if *f.dst, err = ParseDelay(v); err != nil {
				b.errorf(line, "write a duration such as 20ms", "%s: %v", f.key, err)
			}
		}
	}
	percents := []struct {
		key string
		dst *float64
	}{{"loss", &m.Loss}, {"corrupt", &m.Corrupt}, {"duplicate", &m.Duplicate}, {"reorder", &m.Reorder}}
	for _, f := range percents {
		if v, line, ok := get(f.key); ok {
			if *f.dst, err = ParsePercent(v); err != nil {
				b.errorf(line, "a percentage from 0% to 100%, e.g. 1%", "%s: %v", f.key, err)
			}
		}
	}
	if v, line, ok := get("queue"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1_000_000 {
			b.errorf(line, "a number of packets, e.g. 1000", "queue %q must be a whole number from 1 to 1000000", v)
		}
		m.Queue = n
	}
	if _, line, ok := get("jitter"); ok && m.Delay == 0 {
		b.errorf(line, "add a delay: jitter varies it", "jitter without delay")
	}
	if _, line, ok := get("reorder"); ok && m.Delay == 0 {
		b.errorf(line, "add a delay: netem reorders by sending some packets without it", "reorder without delay")
	}
	if m.Jitter > m.Delay && m.Delay != 0 {
		_, line, _ := get("jitter")
		b.errorf(line, "keep jitter at most the delay", "jitter %s is larger than the delay %s", m.Jitter, m.Delay)
	}
	return m
}
