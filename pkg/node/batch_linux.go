package node

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// batchSize bounds how many requests go in one sendmsg, so that the
// kernel's acknowledgements always fit the socket's receive buffer.
const batchSize = 256

// requestBatch sends reqs (each with NLM_F_ACK) through the namespace's
// raw route socket, batchSize to a sendmsg, and waits for each one's
// acknowledgement. It returns one error per request (nil for success)
// and an error of its own when the exchange itself failed. It holds the
// socket's lock throughout, as every request on it does. Any goroutine.
func (n *Namespace) requestBatch(reqs []*nl.NetlinkRequest) ([]error, error) {
	n.raw.Socket.Lock()
	defer n.raw.Socket.Unlock()
	errs := make([]error, len(reqs))
	for start := 0; start < len(reqs); start += batchSize {
		chunk := reqs[start:min(start+batchSize, len(reqs))]
		if err := n.sendChunk(chunk, errs[start:]); err != nil {
			return errs, err
		}
	}
	return errs, nil
}

func (n *Namespace) sendChunk(reqs []*nl.NetlinkRequest, errs []error) error {
	bySeq := make(map[uint32]int, len(reqs))
	var buf []byte
	for i, r := range reqs {
		bySeq[r.Seq] = i
		buf = append(buf, r.Serialize()...)
	}
	if err := unix.Sendto(n.raw.Socket.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send %d requests: %w", len(reqs), err)
	}
	for pending := len(reqs); pending > 0; {
		msgs, _, err := n.raw.Socket.Receive()
		if err != nil {
			return fmt.Errorf("read acknowledgements: %w", err)
		}
		for _, m := range msgs {
			i, ok := bySeq[m.Header.Seq]
			if !ok || m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue // not an answer to us
			}
			delete(bySeq, m.Header.Seq)
			pending--
			if code := int32(nl.NativeEndian().Uint32(m.Data[:4])); code != 0 {
				errs[i] = syscall.Errno(-code)
			}
		}
	}
	return nil
}

// errIsAbsent reports whether err says the object was not there.
func errIsAbsent(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}
