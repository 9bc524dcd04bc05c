package topology

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Impairment is what happens to packets leaving one endpoint: a rate
// limit and netem's delay, jitter, loss, corruption, duplication and
// reordering. The zero value changes nothing.
type Impairment struct {
	// Rate is in bits per second; 0 is unlimited.
	Rate uint64 `json:"rate,omitempty"`
	// Delay and Jitter are one-way, added to every packet.
	Delay  time.Duration `json:"delay,omitempty"`
	Jitter time.Duration `json:"jitter,omitempty"`
	// Loss, Corrupt, Duplicate and Reorder are percentages (0-100).
	Loss      float64 `json:"loss,omitempty"`
	Corrupt   float64 `json:"corrupt,omitempty"`
	Duplicate float64 `json:"duplicate,omitempty"`
	Reorder   float64 `json:"reorder,omitempty"`
	// Queue is the queue length in packets; 0 lets topo choose.
	Queue int `json:"queue,omitempty"`
}

// IsZero reports whether the impairment changes nothing.
func (m *Impairment) IsZero() bool { return m == nil || *m == Impairment{} }

// NeedsNetem reports whether the impairment needs the kernel's netem
// qdisc (anything but a rate limit).
func (m *Impairment) NeedsNetem() bool {
	return m != nil && (m.Delay != 0 || m.Jitter != 0 || m.Loss != 0 || m.Corrupt != 0 || m.Duplicate != 0 || m.Reorder != 0)
}

// Equal compares two impairments as the kernel stores them: rates to
// the byte, times to the microsecond, percentages to 0.001%. nil equals
// the zero value.
func (m *Impairment) Equal(o *Impairment) bool {
	a, b := Impairment{}, Impairment{}
	if m != nil {
		a = *m
	}
	if o != nil {
		b = *o
	}
	pct := func(x, y float64) bool { return math.Abs(x-y) < 0.001 }
	us := func(x, y time.Duration) bool { return (x - y).Abs() < time.Microsecond }
	return a.Rate/8 == b.Rate/8 && us(a.Delay, b.Delay) && us(a.Jitter, b.Jitter) &&
		pct(a.Loss, b.Loss) && pct(a.Corrupt, b.Corrupt) && pct(a.Duplicate, b.Duplicate) &&
		pct(a.Reorder, b.Reorder) && (a.Queue == b.Queue || a.Queue == 0 || b.Queue == 0)
}

// String renders the impairment in the file's own words
// ("rate 10mbit delay 20ms loss 1%"); "none" for the zero value.
func (m *Impairment) String() string {
	if m.IsZero() {
		return "none"
	}
	var parts []string
	if m.Rate != 0 {
		parts = append(parts, "rate "+FormatRate(m.Rate))
	}
	if m.Delay != 0 {
		parts = append(parts, "delay "+m.Delay.String())
	}
	if m.Jitter != 0 {
		parts = append(parts, "jitter "+m.Jitter.String())
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", m.Loss}, {"corrupt", m.Corrupt}, {"duplicate", m.Duplicate}, {"reorder", m.Reorder}} {
		if p.v != 0 {
			parts = append(parts, p.name+" "+strconv.FormatFloat(p.v, 'g', -1, 64)+"%")
		}
	}
	if m.Queue != 0 {
		parts = append(parts, "queue "+strconv.Itoa(m.Queue))
	}
	return strings.Join(parts, " ")
}

// rateUnits are the units a rate may carry: bits (as tc's "kbit") and
// bytes (as tc's "kbps") per second, with SI multipliers.
var rateUnits = []struct {
	suffix string
	mult   float64
}{
	{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
	{"tbps", 8e12}, {"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3}, {"bps", 8},
}

// ParseRate reads a rate such as "10mbit", "1.5gbit" or "100kbps"
// (bytes) into bits per second.
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, u := range rateUnits {
		num, ok := strings.CutSuffix(t, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("rate %q is not a number with a unit", s)
		}
		bits := v * u.mult
		switch {
		case bits <= 0:
			return 0, fmt.Errorf("rate %q must be positive", s)
		case bits < 8:
			return 0, fmt.Errorf("rate %q is below one byte per second", s)
		case bits > 1e13:
			return 0, fmt.Errorf("rate %q is above 10tbit", s)
		}
		return uint64(bits), nil
	}
	if num, mult, ok := byteLikeRate(t); ok {
		return 0, fmt.Errorf("%s: rates are in bits per second — did you mean %s%sbit?", s, num, mult)
	}
	return 0, fmt.Errorf("rate %q has no unit: write e.g. 10mbit, 500kbit or 1gbit", s)
}

// byteLikeRate recognises a rate written with a unit that is not a
// rate unit, such as "10mb", "10m" or "5k": the number and the SI
// multiplier, to suggest the same in bits ("10" "m").
func byteLikeRate(t string) (num, mult string, ok bool) {
	for _, m := range []string{"t", "g", "m", "k"} {
		for _, suffix := range []string{m + "b/s", m + "bits", m + "b", m} {
			n, found := strings.CutSuffix(t, suffix)
			if !found {
				continue
			}
			n = strings.TrimSpace(n)
			if v, err := strconv.ParseFloat(n, 64); err == nil && v > 0 {
				return n, m, true
			}
		}
	}
	return "", "", false
}

// FormatRate renders bits per second with the largest exact unit.
func FormatRate(bits uint64) string {
	for _, u := range rateUnits[:5] {
		if m := uint64(u.mult); bits >= m && bits%m == 0 {
			return strconv.FormatUint(bits/m, 10) + u.suffix
		}
	}
	return strconv.FormatUint(bits, 10) + "bit"
}

// ParsePercent reads "1%", "0.5%" or "1" into a percentage in [0, 100].
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a percentage: write e.g. 1%% or 0.5%%", s)
	}
	if v < 0 || v > 100 {
		return 0, fmt.Errorf("%q is not between 0%% and 100%%", s)
	}
	return v, nil
}

// ParseDelay reads a non-negative duration such as "20ms" or "1.5s".
func ParseDelay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write e.g. 20ms, 500us or 1s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if d > time.Hour {
		return 0, fmt.Errorf("%q is longer than an hour", s)
	}
	return d, nil
}
