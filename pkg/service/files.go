package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// Spec is one service the supervisor must keep: its node, definition,
// and a token that up changes to have it restarted although its
// definition did not change (topo up --reset).
type Spec struct {
	Node    string            `json:"node"`
	Service *topology.Service `json:"service"`
	Token   int               `json:"token,omitempty"`
}

// Key names a service in its lab: node/service.
func (s Spec) Key() string { return s.Node + "/" + s.Service.Name }

// Desired is what up asks of the supervisor: every service of the lab
// in start order, under a generation number the status echoes once the
// supervisor has acted on it.
type Desired struct {
	Gen      int    `json:"gen"`
	Services []Spec `json:"services"`
}

// The states of a service.
const (
	StateStarting = "starting" // waiting for the services it comes after
	StateRunning  = "running"
	StateExited   = "exited"  // ended and not restarted (restart: never, or on-failure after a clean exit)
	StateFailing  = "failing" // ended or would not start; restarting after a backoff
	StateStopped  = "stopped"
)

// State is one service as the supervisor sees it.
type State struct {
	Node  string    `json:"node"`
	Name  string    `json:"name"`
	State string    `json:"state"`
	Pid   int       `json:"pid,omitempty"`
	Since time.Time `json:"since"`
	// Restarts counts the starts after the first.
	Restarts int `json:"restarts"`
	// Exit is the last exit status (128+N for signal N); nil before
	// the first exit.
	Exit *int `json:"exit,omitempty"`
	// Error says why the service could not be started ("exec: ...:
	// executable file not found"); "" once it runs.
	Error string `json:"error,omitempty"`
}

// Status is the supervisor's status file.
type Status struct {
	Gen      int     `json:"gen"`
	Pid      int     `json:"pid"`
	Services []State `json:"services"`
}

// The files of a lab's services directory.
const (
	DesiredFile = "desired.json"
	StatusFile  = "status.json"
	LockFile    = "supervisor.lock" // flock held by the running supervisor, which writes its pid in it
)

// LogPath is where the output of one service goes, in dir.
func LogPath(dir, nodeName, svc string) string {
	return filepath.Join(dir, nodeName, svc+".log")
}

// writeJSON writes v to path atomically (a temporary file renamed).
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteDesired writes the desired services into dir.
func WriteDesired(dir string, d *Desired) error { return writeJSON(filepath.Join(dir, DesiredFile), d) }

// ReadDesired reads the desired services from dir; none when the file
// is missing.
func ReadDesired(dir string) (*Desired, error) {
	d := &Desired{}
	err := readJSON(filepath.Join(dir, DesiredFile), d)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	return d, err
}

// ReadStatus reads the supervisor's status from dir; nil when there is
// none.
func ReadStatus(dir string) (*Status, error) {
	s := &Status{}
	err := readJSON(filepath.Join(dir, StatusFile), s)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return s, err
}
