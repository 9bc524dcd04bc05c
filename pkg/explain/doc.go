// Package explain walks an echo request and its reply through a lab the
// way the nodes' kernels would send them, from snapshots of each node's
// interfaces, routes, settings and neighbour entries, and names the
// first broken hop in a sentence. It is pure: snapshots are read
// elsewhere (see Read) or built by tests.
package explain
