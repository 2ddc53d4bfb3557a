package fs

import (
	"sync"
	"time"
)

// slowLink is the time to a GET's first byte above which the link counts as
// distant: parts are then made smaller, so the same memory budget keeps
// twice as many GETs in flight. On a nearby server fewer, larger GETs cost
// less CPU for the same speed. (A loopback server on a busy machine
// answers in well over 10 ms at times, so the line is drawn above that.)
const slowLink = 25 * time.Millisecond

// linkMeter follows how long GETs take to answer, as a moving average over
// every part fetch of the mount.
type linkMeter struct {
	mu   sync.Mutex    // guards ttfb
	ttfb time.Duration // moving average; 0 before the first GET
}

// observe adds one GET's time to its first byte.
func (m *linkMeter) observe(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ttfb == 0 {
		m.ttfb = d
		return
	}
	m.ttfb += (d - m.ttfb) / 8
}

// partsPerWindow is how many parts a full window is split into.
func (m *linkMeter) partsPerWindow() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ttfb >= slowLink {
		return 2 * minParts
	}
	return minParts
}
