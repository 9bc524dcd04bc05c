package service

import "time"

// The restart backoff: the delay doubles from minBackoff after each
// start that ran less than stableAfter, up to maxBackoff; a start that
// ran longer resets it.
const (
	minBackoff  = 500 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stableAfter = 10 * time.Second
)

// nextBackoff is the delay before the next start, given the last delay
// and how long the service ran.
func nextBackoff(last, ran time.Duration) time.Duration {
	if ran >= stableAfter || last == 0 {
		return minBackoff
	}
	if last *= 2; last > maxBackoff {
		return maxBackoff
	}
	return last
}

// shouldRestart applies a restart policy to an exit status (-1: the
// command could not be started).
func shouldRestart(policy string, exit int) bool {
	switch policy {
	case "always":
		return true
	case "never":
		return false
	}
	return exit != 0
}
