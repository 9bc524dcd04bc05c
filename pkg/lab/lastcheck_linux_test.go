package lab

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestLastCheck(t *testing.T) {
	useRoot(t)
	if c, err := LoadLastCheck("lab"); c != nil || err != nil {
		t.Fatalf("no check yet: got %+v, %v; want nil, nil", c, err)
	}
	want := &LastCheck{Time: time.Unix(1700000000, 0).UTC(), Pairs: []CheckedPair{
		{From: "h1", To: "h2", Reach: true, OK: true},
		{From: "h1", To: "h3", Reach: true, Reason: "no-route"},
	}}
	if err := SaveLastCheck("lab", want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadLastCheck("lab")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	if fi, err := os.Stat(filepath.Join(Dir("lab"), checkFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("check file: %v, %v; want mode 0600", fi, err)
	}
	// A file that is not a check reads as none, never as an error that
	// would keep a picture from being drawn.
	if err := writeLabFile("lab", checkFile, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadLastCheck("lab"); c != nil || err != nil {
		t.Errorf("damaged check file: got %+v, %v; want nil, nil", c, err)
	}
}
