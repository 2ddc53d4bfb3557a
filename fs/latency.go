package fs

import (
	"sync"
	"time"
)

// farLatency is the time to a GET's first byte from which the server
// counts as distant: one connection to a distant server carries far less
// than the network can, so parts are made smaller and the same memory
// budget keeps four times as many GETs in flight. On a nearby server fewer,
// larger GETs cost less CPU on both ends for the same speed, and fewer
// billed requests. (A loopback server on a busy machine answers in well
// over 10 ms at times, so the line is drawn above that.)
const farLatency = 25 * time.Millisecond

// nearParts and farParts are how many parts a full window is split into
// for a nearby and for a distant server: with the default 64 MiB window,
// 8 MiB parts (the default PartSize) and 2 MiB parts.
const (
	nearParts = 8
	farParts  = 32
)

// latencyMeter follows how long GETs take to answer (time to the first
// byte), as a moving average over every part fetch of the mount, and tells
// the window policy how to split and grow the window for it. Safe for
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

// partsPerWindow is how many parts a full window is split into.
func (m *latencyMeter) partsPerWindow() int64 {
	if m.far() {
		return farParts
	}
	return nearParts
}

// windowGrowth is what a sequential stream's window is multiplied by at
// each step: 2 nearby, 4 for a distant server. While a stream ramps up,
// each step waits for a GET that was asked for one step earlier, so a step
// costs about a round trip; from 1 MiB to 64 MiB takes 6 doublings but 3
// quadruplings. On the wan profile's 30 ms and 50 MB/s per connection, a
// 64 MiB file is read in 238 ms instead of 285 on a simulated network
// (BenchmarkPrefetcherWAN64MiB) and in about 255 ms instead of 330 through
// a mount.
func (m *latencyMeter) windowGrowth() int64 {
	if m.far() {
		return 4
	}
	return 2
}

// far reports whether GETs take farLatency or more to answer.
func (m *latencyMeter) far() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ttfb >= farLatency
}
