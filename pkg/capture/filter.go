package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// Filter selects frames: protocol words (arp, icmp, tcp, dns...),
// [src|dst] host ADDR|NODE, [src|dst] net PREFIX, [src|dst] port N,
// joined by and, or, not and parentheses (also && || !). Words next to
// each other are joined by and, so "tcp port 80" means "tcp and port
// 80". Pure Go: nothing is compiled for the kernel.
type Filter struct {
	text string
	root expr // nil selects every frame
}

// HostFunc resolves a word after "host" that is not an address (a node
// name) to the addresses it stands for; false when it names nothing.
type HostFunc func(name string) ([]netip.Addr, bool)

// ParseFilter parses the words of a filter (the command line's
// arguments after the targets). No words select every frame. hosts may
// be nil. An invalid filter is a *FilterError.
func ParseFilter(words []string, hosts HostFunc) (*Filter, error) {
	text := strings.Join(words, " ")
	p := &parser{text: text, toks: lex(text), hosts: hosts}
	f := &Filter{text: text}
	if len(p.toks) == 0 {
		return f, nil
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.kw == ")" {
			return nil, p.fail(t, "\")\" closes no \"(\"", p.afterPrimitive())
		}
		return nil, p.fail(t, fmt.Sprintf("unexpected %q", t.text), p.afterPrimitive())
	}
	f.root = root
	return f, nil
}

// String is the filter's text; "" for nil (no filter: Options.Filter
// may be nil).
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.text
}

// Matcher returns a function that reports whether a frame passes the
// filter. Each goroutine needs its own: it decodes into private state.
func (f *Filter) Matcher() func(data []byte) bool {
	if f == nil || f.root == nil {
		return func([]byte) bool { return true }
	}
	var d decoded
	return func(data []byte) bool {
		d.decode(data)
		return f.root.match(&d)
	}
}

// match decodes data into d and applies the filter (for tests).
func (f *Filter) match(d *decoded, data []byte) bool {
	d.decode(data)
	return f.root == nil || f.root.match(d)
}

// parser is a recursive descent parser over the tokens of a filter:
//
//	or    = and { ("or" | "||") and }
//	and   = unary { [ "and" | "&&" ] unary }
//	unary = ("not" | "!") unary | "(" or ")" | primitive
type parser struct {
	text  string
	toks  []token
	i     int
	depth int // open parentheses
	hosts HostFunc
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

// end is where a missing word would go: one past the text.
func (p *parser) end() token { return token{col: len(p.text) + 2} }

func (p *parser) fail(t token, msg string, allowed []string) *FilterError {
	return &FilterError{Filter: p.text, Col: t.col, Msg: msg, Allowed: allowed}
}

func (p *parser) or() (expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || (t.kw != "or" && t.kw != "||") {
			return left, nil
		}
		p.i++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = orExpr{left, right}
	}
}

func (p *parser) and() (expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		switch {
		case !ok || t.kw == "or" || t.kw == "||" || t.kw == ")":
			return left, nil
		case t.kw == "and" || t.kw == "&&":
			p.i++
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = andExpr{left, right}
	}
}

func (p *parser) unary() (expr, error) {
	t, ok := p.peek()
	if !ok {
		prev := "the filter"
		if p.i > 0 {
			prev = fmt.Sprintf("%q", p.toks[p.i-1].text)
		}
		return nil, p.fail(p.end(), prev+" needs something after it", primitiveStarts)
	}
	switch t.kw {
	case "not", "!":
		p.i++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	case "(":
		p.i++
		p.depth++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok {
			return nil, p.fail(p.end(), fmt.Sprintf("the \"(\" at column %d is not closed", t.col), []string{")"})
		}
		if c.kw != ")" {
			return nil, p.fail(c, fmt.Sprintf("unexpected %q", c.text), p.afterPrimitive())
		}
		p.i++
		p.depth--
		return e, nil
	}
	return p.primitive()
}

// primitiveStarts is what may begin a primitive expression.
var primitiveStarts = append(append([]string(nil), protoWords...), "host", "net", "port", "src", "dst", "not", "(")

// afterPrimitive is what may follow a complete expression.
func (p *parser) afterPrimitive() []string {
	if p.depth > 0 {
		return []string{"and", "or", ")"}
	}
	return []string{"and", "or"}
}

func (p *parser) primitive() (expr, error) {
	t := p.toks[p.i]
	p.i++
	switch {
	case slices.Contains(protoWords, t.kw):
		return protoExpr{t.kw}, nil
	case t.kw == "src" || t.kw == "dst":
		s := srcSide
		if t.kw == "dst" {
			s = dstSide
		}
		q, ok := p.peek()
		if !ok || (q.kw != "host" && q.kw != "port" && q.kw != "net") {
			if !ok {
				q = p.end()
			}
			return nil, p.fail(q, fmt.Sprintf("%q needs host, net or port after it", t.text), []string{"host", "net", "port"})
		}
		p.i++
		return p.qualified(q, s)
	case t.kw == "host" || t.kw == "port" || t.kw == "net":
		return p.qualified(t, either)
	case t.kw == "and" || t.kw == "or" || t.kw == "&&" || t.kw == "||" || t.kw == ")":
		return nil, p.fail(t, fmt.Sprintf("%q needs an expression before it", t.text), primitiveStarts)
	}
	msg := fmt.Sprintf("unknown word %q", t.text)
	if hint := topology.DidYouMean(t.kw, append(primitiveStarts, "and", "or")); hint != "" {
		msg += " (" + hint + ")"
	}
	return nil, p.fail(t, msg, primitiveStarts)
}

// qualified parses the value after host, net or port (q) on side s.
func (p *parser) qualified(q token, s side) (expr, error) {
	v, ok := p.peek()
	if !ok {
		v = p.end()
	}
	switch q.kw {
	case "port":
		n, err := strconv.ParseUint(v.text, 10, 16)
		if !ok || err != nil {
			return nil, p.fail(v, fmt.Sprintf("\"port\" needs a port number 0-65535%s", got(v, ok)), []string{"a port number"})
		}
		p.i++
		return portExpr{s, uint16(n)}, nil
	case "net":
		pfx, err := netip.ParsePrefix(v.text)
		if !ok || err != nil {
			return nil, p.fail(v, fmt.Sprintf("\"net\" needs an address prefix such as 10.0.0.0/24%s", got(v, ok)), []string{"an address prefix"})
		}
		p.i++
		return hostExpr{s, []netip.Prefix{pfx.Masked()}}, nil
	}
	if !ok {
		return nil, p.fail(v, "\"host\" needs an address or a node name", []string{"an address", "a node name"})
	}
	if a, err := netip.ParseAddr(v.text); err == nil {
		p.i++
		return hostExpr{s, []netip.Prefix{netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())}}, nil
	}
	if p.hosts != nil {
		if addrs, found := p.hosts(v.text); found {
			p.i++
			var ps []netip.Prefix
			for _, a := range addrs {
				ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
			}
			return hostExpr{s, ps}, nil
		}
	}
	return nil, p.fail(v, fmt.Sprintf("%q is neither an address nor a node of the lab", v.text), []string{"an address", "a node name"})
}

// got is ", not WORD" for a token that is there.
func got(t token, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf(", not %q", t.text)
}

// StartsFilter reports whether arg begins a filter: its first word is
// a word of the filter language (a protocol, host, port, not, and,
// "("...), so a command line can tell its targets from its filter.
func StartsFilter(arg string) bool {
	toks := lex(arg)
	return len(toks) > 0 && (slices.Contains(primitiveStarts, toks[0].kw) ||
		slices.Contains([]string{"!", "and", "or", "&&", "||", ")"}, toks[0].kw))
}
