package s3test

import (
	"sync"
	"time"
)

// readPacer paces one shaped connection's reads, the bytes its client
// sends (request headers and upload bodies), to rate bytes per second. It
// waits before a read, not after, so bytes not yet due stay in the
// kernel's buffers and the client's sends block, as over a slow link.
//
// To keep its CPU cost low it lets the reads run ahead of the pace by up
// to one shaperChunk's worth of time before it sleeps (net/http reads a
// request body 32 KiB at a time: one timer per read would be thousands a
// second). A read deadline (which net/http sets to end a background read)
// ends the wait at once, so the read can fail as due.
type readPacer struct {
	rate  int64
	slack time.Duration // how far reads may run ahead before one waits

	mu       sync.Mutex // guards next and deadline; never held across a wait or I/O
	next     time.Time  // when the bytes read so far are due
	deadline time.Time  // the connection's read deadline, zero for none

	kick     chan struct{} // a new deadline: waiters look again
	stopped  chan struct{} // closed by stop: waits end at once
	stopOnce sync.Once
}

func newReadPacer(rate int64) *readPacer {
	return &readPacer{
		rate:    rate,
		slack:   time.Duration(int64(shaperChunk) * int64(time.Second) / rate),
		kick:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
}

// wait blocks until the next read is due: until the bytes read so far are
// due, if they are more than slack ahead, or the read deadline passed, or
// stop was called.
func (r *readPacer) wait() {
	for {
		r.mu.Lock()
		now := time.Now()
		d := r.next.Sub(now)
		if d <= r.slack || (!r.deadline.IsZero() && !r.deadline.After(now)) {
			r.mu.Unlock()
			return
		}
		if !r.deadline.IsZero() {
			d = min(d, r.deadline.Sub(now))
		}
		r.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.kick:
		case <-r.stopped:
			t.Stop()
			return
		}
		t.Stop()
	}
}

// account charges n bytes read.
func (r *readPacer) account(n int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	if r.next.After(start) {
		start = r.next
	}
	r.next = start.Add(time.Duration(int64(n) * int64(time.Second) / r.rate))
}

// setDeadline notes the connection's new read deadline.
func (r *readPacer) setDeadline(t time.Time) {
	r.mu.Lock()
	r.deadline = t
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// stop ends every wait, now and later. It is safe on a nil pacer.
func (r *readPacer) stop() {
	if r == nil {
		return
	}
	r.stopOnce.Do(func() { close(r.stopped) })
}

func (c *shapedConn) Read(p []byte) (int, error) {
	if c.reads == nil {
		return c.Conn.Read(p)
	}
	if len(p) > shaperChunk {
		p = p[:shaperChunk]
	}
	c.reads.wait()
	n, err := c.Conn.Read(p)
	c.reads.account(n)
	return n, err
}

func (c *shapedConn) SetReadDeadline(t time.Time) error {
	if c.reads != nil {
		c.reads.setDeadline(t)
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *shapedConn) SetDeadline(t time.Time) error {
	if c.reads != nil {
		c.reads.setDeadline(t)
	}
	return c.Conn.SetDeadline(t)
}
