package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// waitServices waits until every service with ready: listens (or is
// bound), and says how long it took; when limit passes first, it names
// each service that does not, with its state and where its log is.
// Then it returns the *lab.ServiceError of the services after them that
// could not be started. command is the one that waits ("topo up"), for
// the hint. limit must be positive.
func waitServices(ctx context.Context, out io.Writer, l *topology.Lab, limit time.Duration, command string) error {
	if !lab.HasReady(l) {
		return nil
	}
	start := time.Now()
	notReady, err := lab.WaitServices(ctx, l, limit)
	var svcErr *lab.ServiceError
	if err != nil && !errors.As(err, &svcErr) {
		return fmt.Errorf("lab %s: %w", l.Name, err)
	}
	if len(notReady) > 0 {
		var lines []string
		for _, n := range notReady {
			lines = append(lines, n.String())
		}
		return fmt.Errorf("lab %s: services not ready after %s:\n  %s\n(the rest of the lab is up; `%s --wait DURATION` waits longer)", l.Name, limit, strings.Join(lines, "\n  "), command)
	}
	fmt.Fprintf(out, "services ready in %.1fs\n", time.Since(start).Seconds())
	if svcErr != nil {
		return svcErr // the services after them that could not start
	}
	return nil
}
