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
	t     timer
	fired atomic.Bool
}

// timer is what a watchdog needs of a *time.Timer made by time.AfterFunc;
// tests inject timers they fire themselves (Client.afterFunc).
type timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// realAfterFunc is time.AfterFunc as a Client.afterFunc.
func realAfterFunc(d time.Duration, f func()) timer { return time.AfterFunc(d, f) }

func (c *Client) newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{}
	w.t = c.afterFunc(d, func() {
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
