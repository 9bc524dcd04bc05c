// Package ui is `topo ui`: a local web page for the labs of this
// machine, served with net/http from assets embedded in the binary (no
// build step, no CDN). It shows each lab's picture (pkg/graph, the
// layout of `topo graph`), updated live by Server-Sent Events, traffic
// rates from the kernel's counters, a node panel, and, unless
// read-only, actions: link down/up, impairment, check, ping, capture.
//
// Every request needs the token printed with the URL (a cookie after
// the first visit); requests that change anything also need a same
// origin. The kernel is reached only through a Backend (backend_linux.go
// reads it through pkg/lab, the code of the CLI), so the server itself
// is tested without root.
package ui
