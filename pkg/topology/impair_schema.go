package topology

import (
	"strconv"
	"strings"
	"time"
)

// impairFields are the link fields that shape traffic; each may also
// appear in a per-endpoint entry under impair:.
var impairFields = []string{"rate", "delay", "jitter", "loss", "corrupt", "duplicate", "reorder", "queue"}

// rawImpair holds impairment fields as written: each value with where
// its key and its value are.
type rawImpair struct {
	at     Pos // the impair: entry's key; zero for the link's own fields
	fields map[string]impairField
}

// impairField is one impairment field: problems with its value point
// at the value, problems with the field being there at all at the key.
type impairField struct {
	value        string
	keyAt, valAt Pos
}

// rawEndImpair is one entry of a link's impair: map.
type rawEndImpair struct {
	key string // "h1:eth1", "h1" or a switch name
	imp *rawImpair
}

func (r *rawImpair) set(f field, value string, valAt Pos) {
	if r.fields == nil {
		r.fields = map[string]impairField{}
	}
	r.fields[f.key] = impairField{value: value, keyAt: f.at, valAt: valAt}
}

// decodeImpairField decodes one impairment field of a link; it
// reports whether the key was one.
func (d *decoder) decodeImpairField(l *rawLink, f field) bool {
	if f.key == "impair" {
		for _, e := range d.mapping(f.value, "link impair") {
			imp := &rawImpair{at: e.at}
			for _, g := range d.mapping(e.value, "impair "+e.key, impairFields...) {
				if v, ok := d.scalar(g.value, g.key); ok {
					imp.set(g, v, d.pos(g.value))
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
		l.impair.set(f, v, d.pos(f.value))
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
			b.errorf(e.imp.at, hint, "impair: %q is not an end of this link", e.key)
			continue
		}
		per[i] = e.imp
	}
	for i := range li.link.Ends {
		m, at := b.parseImpair(&rl.impair, per[i])
		if !m.IsZero() {
			li.link.Ends[i].Impair, li.link.Ends[i].ImpairAt = m, at
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
// It also says where each field in effect is written (at its key).
func (b *builder) parseImpair(sym, end *rawImpair) (*Impairment, map[string]Pos) {
	get := func(key string) (impairField, bool) {
		if end != nil {
			if f, ok := end.fields[key]; ok {
				return f, true
			}
		}
		f, ok := sym.fields[key]
		return f, ok
	}
	m := &Impairment{}
	at := map[string]Pos{}
	for _, key := range impairFields {
		if f, ok := get(key); ok {
			at[key] = f.keyAt
		}
	}
	var err error
	if f, ok := get("rate"); ok {
		if m.Rate, err = ParseRate(f.value); err != nil {
			b.errorf(f.valAt, "units: bit, kbit, mbit, gbit (or bps, kbps, mbps for bytes)", "%v", err)
		}
	}
	durations := []struct {
		key string
		dst *time.Duration
	}{{"delay", &m.Delay}, {"jitter", &m.Jitter}}
	for _, d := range durations {
		if f, ok := get(d.key); ok {
			if *d.dst, err = ParseDelay(f.value); err != nil {
				b.errorf(f.valAt, "write a duration such as 20ms", "%s: %v", d.key, err)
			}
		}
	}
	percents := []struct {
		key string
		dst *float64
	}{{"loss", &m.Loss}, {"corrupt", &m.Corrupt}, {"duplicate", &m.Duplicate}, {"reorder", &m.Reorder}}
	for _, p := range percents {
		if f, ok := get(p.key); ok {
			if *p.dst, err = ParsePercent(f.value); err != nil {
				b.errorf(f.valAt, "a percentage from 0% to 100%, e.g. 1%", "%s: %v", p.key, err)
			}
		}
	}
	if f, ok := get("queue"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(f.value))
		if err != nil || n < 1 || n > 1_000_000 {
			b.errorf(f.valAt, "a number of packets, e.g. 1000", "queue %q must be a whole number from 1 to 1000000", f.value)
		}
		m.Queue = n
	}
	if f, ok := get("jitter"); ok && m.Delay == 0 {
		b.errorf(f.keyAt, "add a delay: jitter varies it", "jitter without delay")
	}
	if f, ok := get("reorder"); ok && m.Delay == 0 {
		b.errorf(f.keyAt, "add a delay: netem reorders by sending some packets without it", "reorder without delay")
	}
	if m.Jitter > m.Delay && m.Delay != 0 {
		f, _ := get("jitter")
		b.errorf(f.valAt, "keep jitter at most the delay", "jitter %s is larger than the delay %s", m.Jitter, m.Delay)
	}
	return m, at
}
