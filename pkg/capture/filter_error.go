package capture

import (
	"fmt"
	"strings"
)

// FilterError is a filter that cannot be parsed: what is wrong, where,
// and the words allowed there.
type FilterError struct {
	// Filter is the filter's text: its words joined by spaces.
	Filter string
	// Col is the 1-based column of the problem in Filter.
	Col int
	// Msg says what is wrong.
	Msg string
	// Allowed lists what may stand at Col.
	Allowed []string
}

// Error renders the problem on its first line, then the filter with a
// caret under the column, then the words allowed there:
//
//	invalid filter at column 5: unknown word "andd" (did you mean "and"?)
//	  arp andd icmp
//	      ^
//	allowed here: and, or, ...
func (e *FilterError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid filter at column %d: %s\n", e.Col, e.Msg)
	fmt.Fprintf(&b, "  %s\n  %s^", e.Filter, strings.Repeat(" ", max(e.Col-1, 0)))
	if len(e.Allowed) > 0 {
		fmt.Fprintf(&b, "\nallowed here: %s", strings.Join(e.Allowed, ", "))
	}
	return b.String()
}
