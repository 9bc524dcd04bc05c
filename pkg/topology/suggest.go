package topology

import (
	"fmt"
	"strings"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// didYouMean returns a hint naming the closest candidate to word, or ""
// when none is close enough to be a likely typo: at most two edits
// away (and not a complete rewrite of a short name), or an
// abbreviation such as "iface" for "interface". Ties go to the first
// candidate, so callers pass them in a stable order.
func didYouMean(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(word, c)
		close := d <= 2 && d < len(c) && d < len(word)
		abbrev := len(word) >= 3 && (isSubsequence(word, c) || strings.HasPrefix(word, c))
		if (close || abbrev) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// DidYouMean is didYouMean for callers outside the package: a hint
// naming the candidate closest to word ("did you mean \"lab1\"?"), or
// "" when none is close. Pure.
func DidYouMean(word string, candidates []string) string { return didYouMean(word, candidates) }

// isSubsequence reports whether the letters of a appear in b in order.
func isSubsequence(a, b string) bool {
	i := 0
	for j := 0; j < len(b) && i < len(a); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
