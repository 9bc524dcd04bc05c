package node

import (
	"errors"

	"github.com/vishvananda/netlink"
)

// dumpAttempts bounds RetryDump.
const dumpAttempts = 5

// RetryDump calls dump (a netlink dump such as LinkList) again while it
// fails with netlink.ErrDumpInterrupted, which a busy kernel returns
// when the dumped table changed mid-dump, up to a few times.
func RetryDump[T any](dump func() (T, error)) (T, error) {
	var v T
	var err error
	for range dumpAttempts {
		v, err = dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	return v, err
}
