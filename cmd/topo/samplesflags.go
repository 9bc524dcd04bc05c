package main

import (
	"errors"
	"fmt"
)

// sampleFlags are check's flags that pick pairs at random, as given.
type sampleFlags struct {
	pairs    int  // --pairs N
	pairsSet bool // --pairs was given (0 included)
	seedSet  bool // --seed was given
	all      bool // --all
	expect   bool // --expect FILE
}

// problem says what is wrong with the combination, or nil. Pure.
func (f sampleFlags) problem() error {
	switch {
	case f.expect && (f.pairsSet || f.seedSet):
		return errors.New("--pairs and --seed sample all pairs, not an expectations file: drop --expect or them")
	case f.pairsSet && f.pairs <= 0:
		return fmt.Errorf("--pairs %d: give a number of pairs above 0", f.pairs)
	case f.pairsSet && f.all:
		return errors.New("--all checks every pair and --pairs N a sample of them: give one of the two")
	case f.seedSet && !f.pairsSet:
		return errors.New("--seed picks the pairs of --pairs N: add --pairs N, or drop --seed")
	}
	return nil
}
