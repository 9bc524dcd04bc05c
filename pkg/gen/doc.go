// Package gen generates complete, addressed topo labs in the shapes of
// Mininet's stock topologies (single, linear, tree) plus star, ring and
// the k-ary fat tree, so one topology can be built by topo and by
// `mn --switch lxbr --controller none --topo tree,2,16` and compared.
//
// Node names, link order and host addresses follow Mininet: hosts are
// h1..hN, switches s1..sM numbered as Mininet creates them, and host hI
// has address 10.0.0.0+I with prefix length 8, as Mininet's ipAdd gives
// (h256 is 10.0.1.0/8). All hosts share one L2 segment.
package gen
