// Package testns holds what tests of namespaces need from the kernel
// and nothing of topo: root checks, names unique to a test process,
// namespace inodes and a check that a test run left no links in the
// root namespace. It uses netlink only (no iproute2), and imports no
// topo package, so pkg/node's own tests can use it.
package testns
