package s3backend

import (
	"context"
	"sync/atomic"
	"time"
)

// watchdog cancels an attempt's context when its timer fires: first for
// the response headers (RequestTimeout), then while a Read waits for body
// bytes (ReadIdleTimeout). It is paused between Reads, so a slow consumer
// never trips it.
type watchdog struct {
	t     *time.Timer
	fired atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		cancel()
	})
	return w
}

// arm restarts the countdown unless it already fired.
func (w *watchdog) arm(d time.Duration) {
	if !w.fired.Load() {
		w.t.Reset(d)
	}
}

// pause stops the countdown; false if it had fired.
func (w *watchdog) pause() bool {
	w.t.Stop()
	return !w.fired.Load()
}
