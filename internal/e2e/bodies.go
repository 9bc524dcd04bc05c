package e2e

// PairBody is a topology file without its name line (see Lab.Write):
// two hosts joined by one veth pair, 10.77.1.1/24 and 10.77.1.2/24.
const PairBody = `hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
`
