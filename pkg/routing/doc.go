// Package routing turns a lab's routing fields (routing: ospf, bgp: on
// routers) into FRR: per router, the configuration of zebra, ospfd,
// ospf6d and bgpd, written into the router's private /etc/frr, and the
// daemons as services of the router. Pure: it reads the lab and
// returns a new one.
package routing
