// Package graph is the picture of a lab: which nodes and links to draw,
// with what labels (model.go), where (layout.go: a deterministic layered
// layout of topo's own) and how (dot.go, mermaid.go, svg.go, json.go).
// `topo graph` and `topo ui` draw the same Graph, so a lab looks the
// same on a slide and in the browser.
//
// The package is pure: it reads a *topology.Lab and, for a running lab,
// the live state the caller read from the kernel (Live); it makes no
// system calls. The same input gives byte-identical output.
package graph
