package topology

import (
	"errors"
	"fmt"
	"time"
)

// Validate checks an impairment built outside a file (such as by `topo
// impair`) by the rules the file format applies: percentages from 0 to
// 100, durations from 0 to an hour, a queue from 1 to 1000000 packets
// (or 0), and jitter and reorder only with a delay at least as long as
// the jitter. It joins every problem found.
func (m *Impairment) Validate() error {
	if m == nil {
		return nil
	}
	var errs []error
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", m.Loss}, {"corrupt", m.Corrupt}, {"duplicate", m.Duplicate}, {"reorder", m.Reorder}} {
		if p.v < 0 || p.v > 100 || p.v != p.v {
			errs = append(errs, fmt.Errorf("%s %g%% is not between 0%% and 100%%", p.name, p.v))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"delay", m.Delay}, {"jitter", m.Jitter}} {
		if d.v < 0 || d.v > time.Hour {
			errs = append(errs, fmt.Errorf("%s %s is not between 0 and 1h", d.name, d.v))
		}
	}
	if m.Queue < 0 || m.Queue > 1_000_000 {
		errs = append(errs, fmt.Errorf("queue %d must be a whole number from 1 to 1000000", m.Queue))
	}
	if m.Jitter != 0 && m.Delay == 0 {
		errs = append(errs, errors.New("jitter without delay (add a delay: jitter varies it)"))
	} else if m.Jitter > m.Delay {
		errs = append(errs, fmt.Errorf("jitter %s is larger than the delay %s", m.Jitter, m.Delay))
	}
	if m.Reorder != 0 && m.Delay == 0 {
		errs = append(errs, errors.New("reorder without delay (add a delay: netem reorders by sending some packets without it)"))
	}
	return errors.Join(errs...)
}
