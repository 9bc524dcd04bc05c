// Package link makes and changes the interfaces, addresses and routes
// of topo's namespaces, and reads them back, all through each
// namespace's own netlink handle.
package link
