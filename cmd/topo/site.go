package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// siteFlag is --site, given to any command: the site (machine) of a
// lab split across several that this topo acts on. TOPO_SITE gives
// it when the flag is absent (a DaemonSet sets it from the node name).
var siteFlag string

// site is the site this run acts on: --site, else TOPO_SITE, else "".
func site() string {
	if siteFlag != "" {
		return siteFlag
	}
	return os.Getenv("TOPO_SITE")
}

// sitePart cuts the part of a lab a site builds when the lab has
// sites:; a lab without them is returned as it is, and --site on it is
// an error.
func sitePart(l *topology.Lab, file string) (*topology.Lab, error) {
	s := site()
	switch {
	case len(l.Sites) == 0 && s == "":
		return l, nil
	case len(l.Sites) == 0:
		return nil, fmt.Errorf("%s has no sites: --site %s is for a lab split across machines", file, s)
	case s == "":
		return nil, fmt.Errorf("lab %s is split across sites (%s): say which part this machine builds with --site NAME (or TOPO_SITE=NAME)", l.Name, strings.Join(l.SiteNames(), ", "))
	}
	return l.ForSite(s)
}

// checkSite fails when --site names a site other than the one the
// lab's state on this machine is the part of; nothing is said when
// --site is absent (the state remembers its site) or the lab is not
// up.
func checkSite(name string) error {
	s := site()
	if s == "" {
		return nil
	}
	st, err := lab.LoadState(name)
	if errors.Is(err, lab.ErrNoState) {
		return nil
	}
	if err != nil {
		return err
	}
	return siteMatches(st.Lab, s)
}

// siteMatches says whether a lab's state on this machine is site s's
// part.
func siteMatches(applied *topology.Lab, s string) error {
	switch {
	case applied == nil || applied.Site == s:
		return nil
	case applied.Site == "":
		return fmt.Errorf("lab %s is up here as a whole lab, not as site %s's part", applied.Name, s)
	}
	return fmt.Errorf("lab %s is up here as site %s's part, not site %s's: run the command on the machine of site %s, or `topo down %s` here first", applied.Name, applied.Site, s, s, applied.Name)
}
