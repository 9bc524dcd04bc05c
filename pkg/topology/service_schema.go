package topology

import "go.yaml.in/yaml/v3"

// The raw form of services in nodes: private paths, files, services,
// and the routing fields (bgp:, ospf:, routing:), as written.

type rawFileEntry struct {
	path    text
	content string
}

type rawService struct {
	name    string
	at      Pos // the service's key
	command text
	restart text
	env     []kv
	after   []text
	afterAt Pos
	ready   *Ready
}

type rawBGP struct {
	at        Pos
	asn       text
	advertise []text
	ibgp      bool
	ibgpAt    Pos
	routerID  text
}

type rawLinkOSPF struct {
	at   Pos
	area text
	cost int
}

type rawRouting struct {
	at              Pos
	ospf            bool
	hello, dead     int
	helloAt, deadAt Pos
}

var (
	serviceFields  = []string{"command", "restart", "env", "after", "ready"}
	bgpFields      = []string{"asn", "advertise", "ibgp", "router_id"}
	linkOSPFFields = []string{"area", "cost"}
	routingFields  = []string{"ospf"}
	ospfFields     = []string{"hello", "dead"}
)

// decodeServiceField decodes one of a host's service fields.
func (d *decoder) decodeServiceField(h *rawNode, f field, what string) {
	switch f.key {
	case "private":
		h.private = d.strings(f.value, what+" private")
	case "files":
		for _, fe := range d.mapping(f.value, what+" files") {
			v, _ := d.scalar(fe.value, what+" file "+fe.key)
			h.files = append(h.files, rawFileEntry{path: text{s: fe.key, at: fe.at}, content: v})
		}
	case "services":
		for _, sf := range d.mapping(f.value, what+" services") {
			h.services = append(h.services, d.decodeService(sf, what))
		}
	case "bgp":
		b := &rawBGP{at: f.at}
		for _, bf := range d.mapping(f.value, what+" bgp", bgpFields...) {
			switch bf.key {
			case "asn":
				b.asn = d.str(bf.value, what+" bgp asn")
			case "advertise":
				b.advertise = d.strings(bf.value, what+" bgp advertise")
			case "ibgp":
				b.ibgp, b.ibgpAt = d.boolean(bf.value, what+" bgp ibgp"), d.pos(bf.value)
			case "router_id":
				b.routerID = d.str(bf.value, what+" bgp router_id")
			}
		}
		h.bgp = b
	case "ospf":
		v := d.boolean(f.value, what+" ospf")
		h.ospf, h.ospfAt = &v, f.at
	}
}

func (d *decoder) decodeService(fl field, host string) *rawService {
	s := &rawService{name: fl.key, at: fl.at}
	what := host + " service " + fl.key
	if n := d.resolve(fl.value); n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		// services: {web: "python3 -m http.server"}: the command alone.
		s.command = d.str(fl.value, what)
		return s
	}
	for _, f := range d.mapping(fl.value, what, serviceFields...) {
		switch f.key {
		case "command":
			s.command = d.str(f.value, what+" command")
		case "restart":
			s.restart = d.str(f.value, what+" restart")
		case "env":
			for _, e := range d.mapping(f.value, what+" env") {
				v, _ := d.scalar(e.value, what+" env "+e.key)
				s.env = append(s.env, kv{key: e.key, value: v, at: e.at})
			}
		case "after":
			s.after, s.afterAt = d.strings(f.value, what+" after"), f.at
		case "ready":
			s.ready = d.decodeReady(f, what)
		}
	}
	return s
}

func (d *decoder) decodeLinkOSPF(fl field) *rawLinkOSPF {
	o := &rawLinkOSPF{at: fl.at}
	for _, f := range d.mapping(fl.value, "link ospf", linkOSPFFields...) {
		switch f.key {
		case "area":
			o.area = d.str(f.value, "link ospf area")
		case "cost":
			o.cost = d.integer(f.value, "link ospf cost", 1, 65535)
		}
	}
	return o
}

func (d *decoder) decodeRouting(fl field) *rawRouting {
	r := &rawRouting{at: fl.at}
	for _, f := range d.mapping(fl.value, "routing", routingFields...) {
		switch f.key {
		case "ospf":
			r.ospf = true
			for _, of := range d.mapping(f.value, "routing ospf", ospfFields...) {
				switch of.key {
				case "hello":
					r.hello, r.helloAt = d.integer(of.value, "routing ospf hello", 1, 65535), d.pos(of.value)
				case "dead":
					r.dead, r.deadAt = d.integer(of.value, "routing ospf dead", 1, 65535), d.pos(of.value)
				}
			}
		}
	}
	return r
}
