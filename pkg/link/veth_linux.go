package link

import (
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// VethSpec describes a veth pair between two namespaces.
type VethSpec struct {
	// A and B are the namespaces of the two ends; they may be the same.
	A, B *node.Namespace
	// AName and BName are the interface names in A and in B.
	AName, BName string
	// MTU of both ends; 0 keeps the kernel default.
	MTU int
	// AMAC and BMAC are the hardware addresses; nil lets the kernel
	// choose.
	AMAC, BMAC net.HardwareAddr
	// AMaster and BMaster name a bridge in A (or B) that the end
	// becomes a port of; "" for none.
	AMaster, BMaster string
	// Up sets both ends administratively up.
	Up bool
}

// String names the pair as "a:eth0 -> b:eth1" for error messages.
func (s VethSpec) String() string {
	return s.A.Name + ":" + s.AName + " -> " + s.B.Name + ":" + s.BName
}

// CreateVeth creates the veth pair of s with one netlink request sent
// through A's handle: the B end is born in B, so nothing ever appears
// in the root namespace and nothing is moved. It then attaches the
// masters and sets the ends up through each namespace's own handle.
//
// If AName exists in A or BName in B, the error wraps fs.ErrExist and
// nothing is changed. If a step after creation fails, the pair is
// deleted again. Callable from any goroutine; no thread switches.
func CreateVeth(s VethSpec) (err error) {
	for _, e := range []struct {
		ns   *node.Namespace
		name string
	}{{s.A, s.AName}, {s.B, s.BName}} {
		if _, err := e.ns.NL.LinkByName(e.name); err == nil {
			return fmt.Errorf("veth %s: %s:%s: %w", s, e.ns.Name, e.name, fs.ErrExist)
		} else if !isNotFound(err) {
			return fmt.Errorf("veth %s: look up %s:%s: %w", s, e.ns.Name, e.name, err)
		}
	}
	v := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: s.AName, MTU: s.MTU, HardwareAddr: s.AMAC},
		PeerName:         s.BName,
		PeerHardwareAddr: s.BMAC,
		PeerNamespace:    netlink.NsFd(int(s.B.Fd)),
	}
	if s.MTU > 0 {
		v.PeerMTU = uint32(s.MTU)
	}
	if err := s.A.NL.LinkAdd(v); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("veth %s: %w", s, fs.ErrExist)
		}
		return fmt.Errorf("veth %s: %w", s, err)
	}
	defer func() {
		if err != nil {
			_ = Delete(s.A, s.AName)
		}
	}()
	if err := setMasterUp(s.A, s.AName, s.AMaster, s.Up); err != nil {
		return fmt.Errorf("veth %s: %w", s, err)
	}
	if err := setMasterUp(s.B, s.BName, s.BMaster, s.Up); err != nil {
		return fmt.Errorf("veth %s: %w", s, err)
	}
	return nil
}

func setMasterUp(ns *node.Namespace, name, master string, up bool) error {
	l, err := ns.NL.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", ns.Name, name, err)
	}
	if master != "" {
		m, err := ns.NL.LinkByName(master)
		if err != nil {
			return fmt.Errorf("%s:%s: master %s: %w", ns.Name, name, master, err)
		}
		if err := ns.NL.LinkSetMasterByIndex(l, m.Attrs().Index); err != nil {
			return fmt.Errorf("%s:%s: set master %s: %w", ns.Name, name, master, err)
		}
	}
	if up {
		if err := ns.NL.LinkSetUp(l); err != nil {
			return fmt.Errorf("%s:%s: set up: %w", ns.Name, name, err)
		}
	}
	return nil
}

// Delete deletes interface name in ns; for a veth this deletes both
// ends. An interface that does not exist is success. Callable from any
// goroutine.
func Delete(ns *node.Namespace, name string) error {
	l, err := ns.NL.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s:%s: %w", ns.Name, name, err)
	}
	if err := ns.NL.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s:%s: %w", ns.Name, name, err)
	}
	return nil
}

// isNotFound reports whether err says a link (or route) is absent.
func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}
