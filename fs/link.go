package fs

import (
	"sync"
	"time"
)

// slowLink is the time to a GET's first byte above which the link counts as
// distant: one connection to a distant server carries far less than the
// link, so parts are made smaller and the same memory budget keeps four
// times as many GETs in flight. On a nearby server fewer, larger GETs cost
// less CPU on both ends for the same speed, and fewer billed requests. (A
// loopback server on a busy machine answers in well over 10 ms at times, so
// the line is drawn above that.)
const slowLink = 25 * time.Millisecond

// nearParts and farParts are how many parts a full window is split into
// on a near and on a distant link: with the default 64 MiB window, 8 MiB
// parts (the default PartSize) and 2 MiB parts.
const (
	nearParts = 8
	farParts  = 32
)

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
		return farParts
	}
	return nearParts
}
