package topology

// reservedIfaces are the interface names no node may use: the kernel
// refuses them, or already holds them in every namespace, so a lab
// using one would fail half-built.
//   - "lo" is in every network namespace from its start.
//   - "all" and "default" name the settings of every interface and of
//     new ones (net.ipv4.conf.all, net.ipv6.conf.default, ...): the
//     kernel refuses a device of either name with EINVAL
//     (sysctl_dev_name_is_allowed, include/net/ip.h).
//   - "." and ".." are not names (dev_valid_name, net/core/dev.c).
//   - "bonding_masters" is a file of /sys/class/net in every namespace
//     once the bonding driver is loaded, and a device's sysfs
//     directory cannot take its name.
//
// dev_valid_name also refuses names holding '/', ':' or white space,
// and the kernel treats a '%' as a number to fill in; topo's character
// set for interface names (checkIfaceName) has none of those.
var reservedIfaces = map[string]bool{
	"lo": true, "all": true, "default": true, ".": true, "..": true, "bonding_masters": true,
}

// reservedIfaceText lists the reserved names for hints.
const reservedIfaceText = "the kernel keeps lo, all, default, bonding_masters, . and .. for itself"

// reservedIface reports whether name is an interface name the kernel
// keeps for itself (see reservedIfaces).
func reservedIface(name string) bool { return reservedIfaces[name] }
