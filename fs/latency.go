package fs

import (
	"sync"
	"time"
)

// farLatency is the time to a GET's first byte from which the server
// counts as distant: one connection to a distant server carries far less
// than the network can, so the window policy (prefetchpolicy.go) splits the window
// into more, smaller parts in flight at once. On a nearby server fewer,
// larger GETs cost less CPU on both ends for the same speed, and fewer
// billed requests. (A loopback server on a busy machine answers in well
// over 10 ms at times, so the line is drawn above that.)
const farLatency = 25 * time.Millisecond

// latencyMeter follows how long GETs take to answer (time to the first
// byte), as a moving average over every part fetch of the mount, and tells
// the window policy (prefetchpolicy.go) whether the server is distant. Safe for
// concurrent use.
type latencyMeter struct {
	now func() time.Time // the mount's clock (Options.Clock), constant

	mu   sync.Mutex    // guards ttfb
	ttfb time.Duration // moving average; 0 before the first GET
}

// since is the time from start to now on the meter's clock.
func (m *latencyMeter) since(start time.Time) time.Duration { return m.now().Sub(start) }

// observe adds one GET's time to its first byte.
func (m *latencyMeter) observe(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ttfb == 0 {
		m.ttfb = d
		return
	}
	m.ttfb += (d - m.ttfb) / 8
}

// far reports whether GETs take farLatency or more to answer.
func (m *latencyMeter) far() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ttfb >= farLatency
}
