// Command topo turns a YAML topology file into Linux network namespaces
// joined by veth pairs and bridges, and runs, probes and removes them.
package main

import (
	"os"

	"github.com/topo-lab/topo/pkg/lab"
)

func main() {
	lab.MaybeSupervise()
	os.Exit(run(os.Args[1:]))
}
