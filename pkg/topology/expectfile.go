package topology

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"

	"go.yaml.in/yaml/v3"
)

// ExpectFile is a teacher's expectations, kept apart from any lab file,
// to grade a running lab built from someone else's file (topo check
// LAB --expect FILE): nodes that must exist, addresses they must hold,
// and expectations. A lab file may stand for one: its expect: entries
// are taken. Nothing in it is checked against a lab until it is
// graded, so a lab that lacks a node fails those checks, not the load.
type ExpectFile struct {
	File      string
	Nodes     []NodeCheck
	Addresses []AddressCheck
	Expect    []*Expectation
}

// NodeCheck is a node that must exist in the lab graded (nodes:).
type NodeCheck struct {
	Name string
	// Points is what the check is worth when graded (default 1).
	Points int
	Pos    Pos
}

// AddressCheck is an address a node must hold (addresses:). With Bare
// set it was written without a prefix length, and any length will do.
type AddressCheck struct {
	Node   string
	Prefix netip.Prefix
	Bare   bool
	// Points is what the check is worth when graded (default 1).
	Points int
	Pos    Pos
}

var expectFileFields = []string{"nodes", "addresses", "expect"}

// LoadExpectFile reads an expectations file. On failure the error is
// a Problems listing everything found, each with file:line:col.
func LoadExpectFile(path string) (*ExpectFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseExpectFile(path, data)
}

// ParseExpectFile validates an expectations file given as bytes; file
// names it in messages.
func ParseExpectFile(file string, data []byte) (*ExpectFile, error) {
	r := &report{file: file}
	if len(data) > MaxFileSize {
		r.errorf(lineOnly(0), "split the file", "file is larger than %d MiB", MaxFileSize>>20)
		return nil, r.probs
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		r.errorf(lineOnly(lineOf(data, i)), "save the file as plain UTF-8 text", "file contains a NUL byte: it is not a text file")
		return nil, r.probs
	}
	doc, second, err := parseDocument(data)
	if err != nil {
		r.errorf(lineOnly(yamlErrorLine(err, data)), "check indentation and quoting around that line", "not valid YAML: %s", yamlErrorText(err))
		return nil, r.probs
	}
	if second > 0 {
		r.errorf(lineOnly(second), "remove this \"---\" and what follows", "the file holds a second YAML document, which topo would ignore")
		return nil, r.probs
	}
	d := &decoder{report: r, src: data}
	d.charge(doc)
	if d.exceeded {
		r.errorf(lineOnly(1), "write the file out without aliases", "file expands to more than %d YAML nodes", maxNodes)
		return nil, r.probs
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	out := &ExpectFile{File: file}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || isNull(d.resolve(root)) {
		r.errorf(lineOnly(1), "write expect: with one entry per line, such as - {from: h1, to: h2}", "the file is empty")
		return nil, r.probs
	}
	if isLabFile(d.resolve(root)) {
		// A teacher's own lab file: its expectations, checked against
		// its own nodes.
		lab, _, err := Parse(file, data)
		if err != nil {
			return nil, err
		}
		if len(lab.Expect) == 0 {
			r.errorf(lineOnly(1), "add expect: entries, or give an expectations file", "lab file %s expects nothing", file)
			return nil, r.probs
		}
		out.Expect = lab.Expect
		return out, nil
	}
	for _, fl := range d.mapping(root, "the expectations file", expectFileFields...) {
		switch fl.key {
		case "nodes":
			for _, item := range d.entries(fl.value) {
				n, points, ok := d.pointed(item, "node", "h1", "nodes")
				if !ok {
					continue
				}
				if !ValidNodeName(n.s) {
					d.errorf(n.at, "node names are letters, digits and '-'", "nodes: %q is not a node name", n.s)
					continue
				}
				out.Nodes = append(out.Nodes, NodeCheck{Name: n.s, Points: points, Pos: n.at})
			}
		case "addresses":
			for _, na := range d.mapping(fl.value, "addresses") {
				if !ValidNodeName(na.key) {
					d.errorf(na.at, "key each entry by a node name: h1: 10.0.0.1/24", "addresses: %q is not a node name", na.key)
					continue
				}
				for _, item := range d.entries(na.value) {
					a, points, ok := d.pointed(item, "address", "10.0.0.1/24", "addresses of "+na.key)
					if !ok {
						continue
					}
					if c, ok := addressCheck(na.key, a); ok {
						c.Points = points
						out.Addresses = append(out.Addresses, c)
					} else {
						d.errorf(a.at, "write an address such as 10.0.0.1/24 or fd00::1", "addresses of %s: %q is not an IP address", na.key, a.s)
					}
				}
			}
		case "expect":
			for _, n := range d.sequence(fl.value, "expect") {
				re := d.decodeExpect(n)
				ok := r.expectShape(re)
				for _, t := range append([]text{re.from, re.to}, re.via...) {
					if t.s == "" || ValidNodeName(t.s) {
						continue
					}
					if _, err := netip.ParseAddr(t.s); err == nil && t != re.from && !contains(texts(re.via), t.s) {
						continue
					}
					d.errorf(t.at, "name a node (h1) or, for to:, an address", "%q is not a node name", t.s)
					ok = false
				}
				if ok && re.from.s != "" && re.to.s != "" {
					out.Expect = append(out.Expect, re.expectation())
				}
			}
		}
	}
	if len(out.Expect) == 0 && len(out.Nodes) == 0 && len(out.Addresses) == 0 && !r.failed() {
		r.errorf(lineOnly(1), "write expect: with one entry per line, such as - {from: h1, to: h2}", "the file expects nothing")
	}
	if r.failed() {
		return nil, r.probs.Errors()
	}
	return out, nil
}

// entries returns the items of a list, or a single value (a scalar or
// a mapping) as a list of one.
func (d *decoder) entries(n *yaml.Node) []*yaml.Node {
	r := d.resolve(n)
	switch {
	case r == nil || isNull(r) || d.exceeded:
		return nil
	case r.Kind == yaml.SequenceNode:
		return r.Content
	}
	return []*yaml.Node{n}
}

// pointed reads one entry of nodes: or of a node's addresses: a plain
// value (h1, 10.0.0.1/24), worth 1 point, or a mapping of the value
// under key and its points: ({node: h1, points: 2}, {address:
// 10.0.0.1/24, points: 2}), as an expectation's. example is a value
// for the hint; what names the list in messages.
func (d *decoder) pointed(n *yaml.Node, key, example, what string) (text, int, bool) {
	if r := d.resolve(n); r == nil || r.Kind != yaml.MappingNode {
		s, ok := d.scalar(n, what+" entry")
		return text{s: s, at: d.pos(n)}, 1, ok
	}
	var v text
	points := 1
	for _, f := range d.mapping(n, what+" entry", key, "points") {
		switch f.key {
		case key:
			v = d.str(f.value, what+" "+key)
		case "points":
			points = d.integer(f.value, what+" points", 0, maxPoints)
		}
	}
	if v.s == "" {
		d.errorf(d.pos(n), sprintf("write {%s: %s, points: 2}", key, example), "%s entry has no %s:", what, key)
		return v, 0, false
	}
	return v, points, true
}

// addressCheck reads one entry of addresses:.
func addressCheck(node string, a text) (AddressCheck, bool) {
	if p, err := netip.ParsePrefix(a.s); err == nil {
		return AddressCheck{Node: node, Prefix: p, Pos: a.at}, true
	}
	if ip, err := netip.ParseAddr(a.s); err == nil {
		return AddressCheck{Node: node, Prefix: netip.PrefixFrom(ip, ip.BitLen()), Bare: true, Pos: a.at}, true
	}
	return AddressCheck{}, false
}

// String says what the check wants: "h1 holds 10.0.0.1/24".
func (c AddressCheck) String() string {
	if c.Bare {
		return c.Node + " holds " + c.Prefix.Addr().String()
	}
	return c.Node + " holds " + c.Prefix.String()
}

// isLabFile reports whether a file's top level is a lab's (hosts: or
// links:) rather than an expectations file's.
func isLabFile(root *yaml.Node) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && (k.Value == "hosts" || k.Value == "links") {
			return true
		}
	}
	return false
}
