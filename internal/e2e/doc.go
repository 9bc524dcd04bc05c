// Package e2e runs the topo binary in tests as a user would: it builds
// topo once per test binary (Main, from TestMain), runs it with a
// private state directory per lab (TOPO_STATE_DIR) and lab names no
// other run shares, takes every lab down at cleanup and checks that
// nothing of it remains, in the namespaces or in the root namespace's
// links. cmd/topo's end-to-end tests and test/robust use it.
package e2e
