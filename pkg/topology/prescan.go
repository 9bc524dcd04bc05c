package topology

// maxItems bounds a file's lines, list items and entries (see
// itemsBeyond), checked before the YAML parser builds its tree. The
// parser takes a few hundred bytes per YAML node, so without this a
// dense file within MaxFileSize ("[0,0,0,...]") made topo allocate
// gigabytes before the node budget (maxNodes) could say no. At this
// bound the worst file costs about 250 MB; the largest labs topo gen
// makes within MaxNodes have about 160,000.
const maxItems = 400_000

// itemsBeyond returns the offset at which data holds more than max
// newlines, commas, '[', '{' and '-' or '?' indicators (followed by a
// blank), or -1 if it does not. Every YAML node is a mapping value or
// follows one of those, so the count bounds the nodes the parser makes
// (at most about three per item).
func itemsBeyond(data []byte, max int) int {
	n := 0
	for i, c := range data {
		switch c {
		case '\n', ',', '[', '{':
		case '-', '?':
			if i+1 < len(data) && data[i+1] != ' ' && data[i+1] != '\t' && data[i+1] != '\n' {
				continue
			}
		default:
			continue
		}
		if n++; n > max {
			return i
		}
	}
	return -1
}
