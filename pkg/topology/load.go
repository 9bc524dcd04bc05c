package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Input limits. They keep a hostile or mistaken file from exhausting
// memory or the kernel before validation can say what is wrong.
const (
	MaxFileSize = 16 << 20
	MaxNodes    = 20_000
	MaxLinks    = 50_000
	// MaxBridgePorts is the most ports a Linux bridge takes: the
	// kernel numbers them below BR_MAX_PORTS (1024) and keeps number 0
	// for itself, so the 1,024th port is refused with EXFULL
	// ("exchange full"). pkg/link's TestBridgePortLimit holds this to
	// the running kernel.
	MaxBridgePorts = 1023
)

var (
	labNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
)

// Name length limits: the namespace name "<lab>-<node>" must stay a
// sensible file name and the node name a valid host name.
const (
	maxLabName  = 32
	maxNodeName = 32
)

// Load reads, validates and resolves a topology file. On failure the
// error is a Problems listing everything found, each with file:line.
// Warnings come back alongside a valid lab. Pure: no syscalls besides
// reading the file.
func Load(path string) (*Lab, Problems, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse validates and resolves a topology given as bytes; file names
// the source in messages and gives the default lab name.
func Parse(file string, data []byte) (*Lab, Problems, error) {
	r := &report{file: file}
	if len(data) > MaxFileSize {
		r.errorf(lineOnly(0), "split the lab or generate it with topo gen", "file is larger than %d MiB", MaxFileSize>>20)
		return nil, nil, r.probs
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		r.errorf(lineOnly(lineOf(data, i)), "save the file as plain UTF-8 text", "file contains a NUL byte: it is not a text file")
		return nil, nil, r.probs
	}
	if i := itemsBeyond(data, maxItems); i >= 0 {
		r.errorf(lineOnly(lineOf(data, i)), "split the lab, or generate it with topo gen (auto addressing keeps files small)", "file has more than %d lines, list items and entries: too large to read", maxItems)
		return nil, nil, r.probs
	}
	doc, second, err := parseDocument(data)
	if err != nil {
		if line, col, ok := tabIndent(data); ok {
			r.errorf(Pos{Line: line, Col: col}, "indent with spaces", "tabs cannot indent YAML: line %d, column %d", line, col)
			return nil, nil, r.probs
		}
		r.errorf(lineOnly(yamlErrorLine(err, data)), "check indentation and quoting around that line", "not valid YAML: %s", yamlErrorText(err))
		return nil, nil, r.probs
	}
	if second > 0 {
		r.errorf(lineOnly(second), "a lab is one document: remove this \"---\" and what follows, or put it in a file of its own", "the file holds a second YAML document, which topo would ignore")
		return nil, nil, r.probs
	}
	d := &decoder{report: r, src: data}
	if doc.Kind == 0 {
		r.errorf(lineOnly(1), "start from an example in examples/", "the file is empty")
		return nil, nil, r.probs
	}
	d.charge(doc)
	if d.exceeded {
		r.errorf(lineOnly(1), "YAML aliases expand too much (a \"billion laughs\" file?); write the lab out", "file expands to more than %d YAML nodes", maxNodes)
		return nil, nil, r.probs
	}
	raw := d.decodeFile(doc)
	if d.exceeded {
		r.errorf(lineOnly(1), "YAML aliases expand too much; write the lab out", "file expands to more than %d YAML nodes", maxNodes)
		return nil, nil, r.probs
	}
	b := &builder{report: r, raw: raw}
	lab := b.build(file)
	if r.failed() {
		return nil, r.probs.Warnings(), r.probs
	}
	return lab, r.probs.Warnings(), nil
}

// parseDocument parses the one YAML document of data (an empty node
// when data holds none). second is the line where a second document
// starts, 0 when there is none: yaml.Unmarshal would read the first and
// drop the rest without a word.
func parseDocument(data []byte) (doc *yaml.Node, second int, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	doc = &yaml.Node{}
	if err := dec.Decode(doc); errors.Is(err, io.EOF) {
		return &yaml.Node{}, 0, nil
	} else if err != nil {
		return nil, 0, err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return doc, 0, nil
	case err != nil:
		return nil, 0, err
	}
	return doc, max(next.Line, 1), nil
}

// DefaultLabName derives a lab name from a file name: its base name
// without extension, lower-cased.
func DefaultLabName(file string) string {
	base := filepath.Base(file)
	return strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
}

// ValidLabName reports whether name can name a lab.
func ValidLabName(name string) bool {
	return len(name) <= maxLabName && labNameRE.MatchString(name)
}

// ValidNodeName reports whether name can name a node.
func ValidNodeName(name string) bool {
	return len(name) <= maxNodeName && nodeNameRE.MatchString(name)
}

// yamlParserProblems are the messages of yaml.v3's parser (as opposed
// to its scanner). yaml.v3 reports the line of a parser error counting
// from 0, and leaves it out when that is 0, so such lines need one
// added; scanner errors already count from 1.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlErrorLine finds the line a yaml.v3 error is about.
func yamlErrorLine(err error, data []byte) int {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0
	}
	text := yamlErrorText(err)
	line := 0
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line); e != nil {
		// No line given: either the mark was on the first line, or the
		// error comes from outside the scanner and parser.
		switch {
		case strings.HasPrefix(text, "unknown anchor '"):
			anchor := strings.TrimSuffix(strings.TrimPrefix(text, "unknown anchor '"), "' referenced")
			return lineOf(data, bytes.Index(data, []byte("*"+anchor)))
		case text == "control characters are not allowed":
			return lineOf(data, bytes.IndexFunc(data, func(r rune) bool {
				return r < ' ' && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f
			}))
		}
		return 1
	}
	if contains(yamlParserProblems, text) {
		line++
	}
	return line
}

// lineOf returns the line of byte offset i of data, or 0 when i < 0.
func lineOf(data []byte, i int) int {
	if i < 0 {
		return 1 // not found: point at the file's start rather than nowhere
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

func yamlErrorText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "line ") {
		s = s[i+2:]
	}
	return s
}
