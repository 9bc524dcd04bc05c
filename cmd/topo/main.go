// Command topo turns a YAML topology file into Linux network namespaces
// joined by veth pairs and bridges, and runs, probes and removes them.
package main

import "os"

func main() { os.Exit(run(os.Args[1:])) }
