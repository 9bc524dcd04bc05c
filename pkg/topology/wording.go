package topology

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// prefixLenHint goes with prefixLenText's problems.
const prefixLenHint = "a prefix length counts the subnet's bits: 0 to 32 for IPv4 (/24 is usual), 0 to 128 for IPv6 (/64 is usual)"

// prefixLenText says what is wrong with a prefix whose length is out of
// range for its family ("/33: an IPv4 prefix is at most 32"); "" when
// s is not an address with such a length.
func prefixLenText(s string) string {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		return ""
	}
	a, err := netip.ParseAddr(addr)
	n, nerr := strconv.Atoi(bits)
	if err != nil || nerr != nil {
		return ""
	}
	switch {
	case a.Is4() && n > 32:
		return "/" + bits + ": an IPv4 prefix is at most 32"
	case a.Is6() && n > 128:
		return "/" + bits + ": an IPv6 prefix is at most 128"
	case n < 0:
		return "/" + bits + ": a prefix length is a number from 0 up"
	}
	return ""
}

// tabIndent finds the first line indented with a tab, the 1-based
// line and column of the tab; ok is false when no line is.
func tabIndent(data []byte) (line, col int, ok bool) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		for j, c := range l {
			if c == '\t' {
				return i + 1, j + 1, true
			}
			if c != ' ' {
				break
			}
		}
	}
	return 0, 0, false
}
