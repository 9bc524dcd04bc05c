package main

import (
	"fmt"
	"strconv"
	"time"
)

// seconds is a duration flag that reads a bare number as seconds, the
// way ping's -W and -i do ("1", "0.2"), and anything else as a Go
// duration ("200ms", "1.5s").
type seconds struct{ d *time.Duration }

// secondsVar returns a flag value that stores into d, which holds the
// default.
func secondsVar(d *time.Duration, def time.Duration) seconds {
	*d = def
	return seconds{d}
}

func (s seconds) String() string {
	if s.d == nil {
		return ""
	}
	return s.d.String()
}

func (s seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 {
			return fmt.Errorf("%s: a time cannot be negative", v)
		}
		*s.d = time.Duration(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a time: write seconds (1, 0.2) or a duration (200ms, 1.5s)", v)
	}
	if d < 0 {
		return fmt.Errorf("%s: a time cannot be negative", v)
	}
	*s.d = d
	return nil
}

func (s seconds) Type() string { return "seconds" }
