package graph

import "encoding/json"

// JSON renders g as indented JSON with a final newline: `topo graph
// --format json`. The field names are stable (README, "Pictures and the
// web view").
func JSON(g *Graph) []byte {
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		panic(err) // a Graph is plain data: it always marshals
	}
	return append(data, '\n')
}
