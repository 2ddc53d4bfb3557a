package fs

import (
	"sync"
	"sync/atomic"
	"time"
)

// prefetchShared is the part of the prefetch engine that every open file of
// a mount shares: the memory budget, the latency meter and the count of
// part fetches in flight. Each open file's prefetcher holds the window
// policy for that file.
type prefetchShared struct {
	pool    *bufPool      // the memory budget
	latency *latencyMeter // how long GETs take to answer
	fetches *fetchCounter // part fetches in flight
	served  atomic.Int64  // bytes reads got from prefetch buffers (Stats.PrefetchServed)
}

// newPrefetchShared returns the shared state of a mount's prefetchers with
// a memory budget of budget bytes, timing GETs with now.
func newPrefetchShared(budget int64, now func() time.Time) *prefetchShared {
	return &prefetchShared{pool: newBufPool(budget), latency: &latencyMeter{now: now}, fetches: &fetchCounter{}}
}

// fetchCounter counts the part fetches in flight and the most there were
// at once, for tests and benchmarks. Safe for concurrent use.
type fetchCounter struct {
	mu       sync.Mutex // guards the fields below
	inFlight int
	most     int
}

// start and done count one fetch in and out.
func (c *fetchCounter) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight++
	c.most = max(c.most, c.inFlight)
}

func (c *fetchCounter) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
}

// current is how many fetches are in flight now.
func (c *fetchCounter) current() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight
}

// peak is the most fetches there were in flight at once.
func (c *fetchCounter) peak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.most
}
