package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/topo-lab/topo/pkg/graph"
)

// LastCheck is the outcome of a lab's last `topo check`, kept in its
// state directory so `topo graph` and `topo ui` can paint it.
type LastCheck struct {
	Time  time.Time     `json:"time"`
	Pairs []CheckedPair `json:"pairs"`
}

// CheckedPair is one pair of a stored check, as the picture paints it.
type CheckedPair = graph.CheckedPair

// SaveLastCheck replaces the lab's stored check outcome, atomically
// (a reader sees the old or the new one). The lab must be up.
func SaveLastCheck(lab string, c *LastCheck) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := writeLabFile(lab, checkFile, data, 0o600); err != nil {
		return fmt.Errorf("lab %s: store the check's outcome: %w", lab, err)
	}
	return nil
}

// LoadLastCheck reads the lab's stored check outcome: nil without an
// error when no check has run since the lab came up. A file that does
// not decode is ignored (nil): it is a picture's overlay, not state.
func LoadLastCheck(lab string) (*LastCheck, error) {
	data, err := readLabFile(lab, checkFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab %s: read the last check: %w", lab, err)
	}
	var c LastCheck
	if json.Unmarshal(data, &c) != nil {
		return nil, nil
	}
	return &c, nil
}
