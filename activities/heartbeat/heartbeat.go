// Package heartbeat keeps a long activity call visibly alive, so that after
// a worker crash Temporal retries it once the heartbeat timeout passes
// instead of waiting out the whole start-to-close timeout.
package heartbeat

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// Every records a heartbeat every interval until the returned stop is called.
func Every(ctx context.Context, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticker.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
