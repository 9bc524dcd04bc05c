// Package node creates, enters and removes the namespaces that hold
// topo's nodes (network, UTS, and a private mount namespace for
// commands), and holds the node-wide settings: sysctls and the bridge
// of a switch. Only enter_linux.go moves threads between namespaces.
package node
