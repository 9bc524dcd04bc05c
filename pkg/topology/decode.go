package topology

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many YAML nodes the decoder visits, counting every
// alias expansion, so a "billion laughs" file is rejected quickly and
// with bounded memory.
const maxNodes = 1_000_000

// decoder walks a parsed YAML document. yaml.v3's KnownFields does not
// reach through yaml.Node positions and gives no suggestions, so topo
// checks keys itself: every unknown key is reported with its line and
// the closest known key.
type decoder struct {
	*report
	visited  int
	exceeded bool
	// src is the file's text, for quoting values as written (see
	// firstLine); lineStarts holds the offset of each of its lines,
	// found on first use.
	src        []byte
	lineStarts []int
}

// field is one key/value pair of a YAML mapping; at is where the key
// is written.
type field struct {
	key   string
	at    Pos
	value *yaml.Node
}

// text is a scalar as written and where: the offending value a problem
// points at.
type text struct {
	s  string
	at Pos
}

// texts returns the strings of ts.
func texts(ts []text) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.s)
	}
	return out
}

// pos is where node n is written. For an alias that is the *name, not
// the anchor: the value is used (and wrong) where the alias stands.
func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

// resolve follows aliases and charges the visit budget.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
		d.charge(n)
	}
	return n
}

// charge counts the nodes below n against the budget. It walks with a
// stack of its own: an alias cycle (&a [*a]) is a million levels deep
// by the time the budget runs out.
func (d *decoder) charge(n *yaml.Node) {
	if d.exceeded || n == nil {
		return
	}
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m == nil {
			continue
		}
		d.visited++
		if d.visited > maxNodes {
			d.exceeded = true
			return
		}
		if m.Kind == yaml.AliasNode {
			stack = append(stack, m.Alias)
			continue
		}
		stack = append(stack, m.Content...)
	}
}

// mapping returns the fields of a mapping node, reporting unknown and
// duplicate keys. A null node is an empty mapping. what names the
// mapping in messages ("host h1").
func (d *decoder) mapping(n *yaml.Node, what string, known ...string) []field {
	n = d.resolve(n)
	if n == nil || isNull(n) || d.exceeded {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(d.pos(n), "write it as key: value pairs, one per line, or {key: value}", "%s must be a mapping (key: value), not %s", what, d.describe(n))
		return nil
	}
	// YAML merge keys (<<: *base, or <<: [*a, *b]): a key given in the
	// mapping itself wins over a merged one, an earlier merge over a
	// later one; neither is a duplicate.
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := d.resolve(n.Content[i]); !isMerge(k) {
			explicit[k.Value] = true
		}
	}
	seen := map[string]Pos{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), n.Content[i+1]
		if isMerge(k) {
			for _, m := range d.merged(v, what, known...) {
				if _, dup := seen[m.key]; !dup && !explicit[m.key] {
					seen[m.key] = m.at
					out = append(out, m)
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(d.pos(k), "write the key as a plain word, not a list or mapping", "%s: keys must be plain names", what)
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.errorf(d.pos(k), sprintf("remove one of them (the first is on line %d)", prev.Line), "%s: %q is given twice", what, k.Value)
			continue
		}
		seen[k.Value] = d.pos(k)
		if known != nil && !contains(known, k.Value) {
			hint := didYouMean(k.Value, known)
			if hint == "" {
				hint = "known fields: " + strings.Join(known, ", ")
			}
			d.errorf(d.pos(k), hint, "%s: unknown field %q", what, k.Value)
			continue
		}
		out = append(out, field{key: k.Value, at: d.pos(k), value: v})
	}
	return out
}

// merged returns the fields a merge key brings in: one mapping, or a
// list of them.
func (d *decoder) merged(v *yaml.Node, what string, known ...string) []field {
	if v = d.resolve(v); v == nil || v.Kind != yaml.SequenceNode {
		return d.mapping(v, what, known...)
	}
	var out []field
	for _, item := range v.Content {
		out = append(out, d.mapping(item, what, known...)...)
	}
	return out
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" || k.Value == "<<")
}

// sequence returns the items of a sequence node; a null node is empty.
func (d *decoder) sequence(n *yaml.Node, what string) []*yaml.Node {
	n = d.resolve(n)
	if n == nil || isNull(n) || d.exceeded {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(d.pos(n), "write it as a list: [a, b] or one \"- item\" per line", "%s must be a list, not %s", what, d.describe(n))
		return nil
	}
	return n.Content
}

// scalar returns the text of a scalar node.
func (d *decoder) scalar(n *yaml.Node, what string) (string, bool) {
	n = d.resolve(n)
	if n == nil || d.exceeded {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(d.pos(n), "write a single value here, not a list or mapping", "%s must be a single value, not %s", what, d.describe(n))
		return "", false
	}
	return n.Value, true
}

// str returns a string scalar and where it is written; null is "".
func (d *decoder) str(n *yaml.Node, what string) text {
	at := d.pos(n)
	if n = d.resolve(n); isNull(n) {
		return text{at: at}
	}
	s, _ := d.scalar(n, what)
	return text{s: s, at: at}
}

// boolean returns a boolean scalar.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	s, ok := d.scalar(n, what)
	if !ok {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.errorf(d.pos(n), "use true or false", "%s must be true or false, not %q", what, s)
	return false
}

// integer returns an integer scalar within [lo, hi].
func (d *decoder) integer(n *yaml.Node, what string, lo, hi int) int {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		d.errorf(d.pos(n), sprintf("write a whole number from %d to %d", lo, hi), "%s must be a whole number from %d to %d, not %q", what, lo, hi, s)
		return 0
	}
	return v
}

// strings returns a scalar or a list of scalars as a list, each with
// where it is written.
func (d *decoder) strings(n *yaml.Node, what string) []text {
	at := d.pos(n)
	n = d.resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []text{{s: n.Value, at: at}}
	}
	var out []text
	for _, item := range d.sequence(n, what) {
		if s, ok := d.scalar(item, what+" entry"); ok {
			out = append(out, text{s: s, at: d.pos(item)})
		}
	}
	return out
}

func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what n is for a problem: its kind, or a scalar's
// first line quoted (see shown).
func (d *decoder) describe(n *yaml.Node) quoted {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quoted(strconv.Quote(shown(d.firstLine(n))))
	}
	return "something else"
}

// quoted is text for a problem that is already shown (see shown), so
// errorf passes it on as it is.
type quoted string

// firstLine is the value of scalar n as far as the line it starts on
// goes: a plain scalar written over several lines is one value, its
// lines joined by spaces, and only the first is shown.
func (d *decoder) firstLine(n *yaml.Node) string {
	v := n.Value
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || n.Line < 1 || n.Column < 1 {
		return v
	}
	if d.lineStarts == nil {
		d.lineStarts = []int{0}
		for i, c := range d.src {
			if c == '\n' {
				d.lineStarts = append(d.lineStarts, i+1)
			}
		}
	}
	if n.Line > len(d.lineStarts) {
		return v
	}
	line := d.src[d.lineStarts[n.Line-1]:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	// yaml.v3 counts columns in characters.
	r := []rune(strings.TrimRight(string(line), " \t\r"))
	if n.Column-1 > len(r) {
		return v
	}
	if first := string(r[n.Column-1:]); len(first) < len(v) && strings.HasPrefix(v, first) {
		return first + "\n" // cut here: shown marks it
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
