package capture

import "strings"

// token is one word of a filter and where it starts.
type token struct {
	text string
	kw   string // text in lower case, to compare with keywords
	col  int    // 1-based column in the filter's text
}

// lex splits a filter's text (its words joined by single spaces) into
// tokens: words, and the symbols ( ) ! && || wherever they stand, so
// "(arp||icmp)" and "not(arp)" lex as a user means them.
func lex(text string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == '!':
			toks = append(toks, token{string(c), string(c), i + 1})
			i++
		case strings.HasPrefix(text[i:], "&&") || strings.HasPrefix(text[i:], "||"):
			toks = append(toks, token{text[i : i+2], text[i : i+2], i + 1})
			i += 2
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t()!", rune(text[j])) &&
				!strings.HasPrefix(text[j:], "&&") && !strings.HasPrefix(text[j:], "||") {
				j++
			}
			toks = append(toks, token{text[i:j], strings.ToLower(text[i:j]), i + 1})
			i = j
		}
	}
	return toks
}
