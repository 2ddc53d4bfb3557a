package s3test

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Shape is how a Proxy makes loopback look like a distant server (see
// Proxy.SetShape): every byte the proxy sends reaches the client Latency
// later, and no connection carries more than Rate bytes per second in
// either direction.
//
// Latency is applied to answers only and stands for the whole round trip:
// a request's answer starts at least Latency after the request reached the
// proxy, an upload's as well (a client that waits for 100 Continue waits
// Latency for it, then Latency for the answer: two round trips, as over a
// network). Request bytes are paced, not delayed.
type Shape struct {
	// Latency delays each byte of every answer, so an answer's first byte
	// comes Latency after the proxy sent it (a one-way delay line).
	Latency time.Duration
	// Rate caps each connection's bytes per second, server-to-client
	// (answers) and client-to-server (request bodies: uploads) alike; 0 is
	// no cap.
	Rate int64
}

func (s Shape) validate() error {
	if s.Latency < 0 || s.Rate < 0 {
		return fmt.Errorf("shape %+v: negative latency or rate", s)
	}
	return nil
}

func (s Shape) isZero() bool { return s == Shape{} }

// shaperChunk is the most one write to a shaped connection carries: at
// 50 MB/s a burst of 5 ms. Smaller chunks pace more smoothly but cost the
// CPU the measured clients share (64 KiB took about a fifth more).
const shaperChunk = 256 << 10

// flushWait bounds how long closing a shaped connection waits for the
// answer bytes still in its delay line to go out.
const flushWait = 2 * time.Second

// errLineBroken is what a write to a shaped connection returns once the
// client could not be written to, or the connection was dropped.
var errLineBroken = errors.New("shaped connection: client write failed")

// shapedListener applies the shape current at each Accept to the
// connection it accepts, and can drop every shaped connection at once.
type shapedListener struct {
	net.Listener
	shape func() Shape

	mu    sync.Mutex               // guards conns; never held across I/O
	conns map[*shapedConn]struct{} // open shaped connections
}

func newShapedListener(ln net.Listener, shape func() Shape) *shapedListener {
	return &shapedListener{Listener: ln, shape: shape, conns: make(map[*shapedConn]struct{})}
}

func (l *shapedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	s := l.shape()
	if s.isZero() {
		return c, nil
	}
	sc := newShapedConn(c, s)
	sc.forget = func() {
		l.mu.Lock()
		delete(l.conns, sc)
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.conns[sc] = struct{}{}
	l.mu.Unlock()
	return sc, nil
}

// dropAll closes every shaped connection at once, answer bytes still
// queued included, so that closing the server does not wait for them.
func (l *shapedListener) dropAll() {
	l.mu.Lock()
	conns := make([]*shapedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.reads.stop()
		c.line.drop()
		_ = c.Conn.Close() // fails a write the client was not taking
	}
}

// shapedConn is a client connection whose writes go out through a delay
// line: Write queues the bytes (blocking while the line is full, so a slow
// client slows the server down) and one goroutine writes them to the client
// at the shaped time and pace. Reads (the client's requests) are paced by
// reads when the shape has a Rate.
type shapedConn struct {
	net.Conn
	line    *delayLine
	reads   *readPacer    // nil: reads are not paced
	drained chan struct{} // closed when the drain goroutine has returned
	forget  func()        // removes it from its listener; set before use

	closeOnce sync.Once
	closeErr  error
}

func newShapedConn(c net.Conn, s Shape) *shapedConn {
	sc := &shapedConn{
		Conn:    c,
		line:    newDelayLine(2 * max(shaperChunk, int(s.Rate*int64(s.Latency)/int64(time.Second)))),
		drained: make(chan struct{}),
	}
	if s.Rate > 0 {
		sc.reads = newReadPacer(s.Rate)
	}
	go func() {
		defer close(sc.drained)
		if err := sc.line.drain(c, s); err != nil {
			_ = c.Close() // the client is gone: fail the writes still coming
		}
	}()
	return sc
}

func (c *shapedConn) Write(p []byte) (int, error) { return c.line.push(p) }

// Close lets the bytes already written reach the client (for at most
// flushWait) and then closes the connection.
func (c *shapedConn) Close() error {
	c.closeOnce.Do(func() {
		c.reads.stop()
		c.line.end()
		t := time.NewTimer(flushWait)
		defer t.Stop()
		select {
		case <-c.drained:
		case <-t.C:
		}
		c.closeErr = c.Conn.Close()
		<-c.drained // the close fails a write the client was not taking
		if c.forget != nil {
			c.forget()
		}
	})
	return c.closeErr
}

// delayLine carries one connection's answer bytes to the client, each
// stamped with when it was written. It holds at most limit bytes.
type delayLine struct {
	limit int

	mu    sync.Mutex // guards the fields below; never held across I/O
	cond  *sync.Cond // signalled when q, held, done or abort change
	q     []stamped
	free  [][]byte      // drained buffers, for push to reuse
	held  int           // bytes in q
	done  bool          // no more pushes: drain returns once q is empty
	abort bool          // drain has given up, or the line was dropped
	stop  chan struct{} // closed by drop: drain stops waiting at once
}

type stamped struct {
	at   time.Time
	data []byte
}

func newDelayLine(limit int) *delayLine {
	d := &delayLine{limit: limit, stop: make(chan struct{})}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// push queues a copy of p, in chunks of at most shaperChunk, waiting while
// the line is full. It fails once drain has given up.
func (d *delayLine) push(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		d.mu.Lock()
		for d.held >= d.limit && !d.abort {
			d.cond.Wait()
		}
		if d.abort || d.done {
			d.mu.Unlock()
			return n, errLineBroken
		}
		var buf []byte
		if k := len(d.free); k > 0 {
			buf, d.free = d.free[k-1], d.free[:k-1]
		}
		d.mu.Unlock()

		if buf == nil {
			buf = make([]byte, shaperChunk)
		}
		k := copy(buf, p)
		d.mu.Lock()
		d.q = append(d.q, stamped{at: time.Now(), data: buf[:k]})
		d.held += k
		d.cond.Broadcast()
		d.mu.Unlock()
		p, n = p[k:], n+k
	}
	return n, nil
}

// drop empties the line and ends it: drain returns without writing what
// was queued, and pushes fail.
func (d *delayLine) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.q, d.held, d.done, d.abort = nil, 0, true, true
	select {
	case <-d.stop: // dropped already (only drop closes stop, under mu)
	default:
		close(d.stop)
	}
	d.cond.Broadcast()
}

// end marks the end of the pushes: drain returns once the line is empty.
func (d *delayLine) end() {
	d.mu.Lock()
	d.done = true
	d.cond.Broadcast()
	d.mu.Unlock()
}

// drain writes the line to w, each chunk no sooner than shape.Latency after
// it was pushed and no faster than shape.Rate. It returns nil once end was
// called and the line is empty, or the write error that ended it.
func (d *delayLine) drain(w net.Conn, shape Shape) error {
	var next time.Time // earliest time the rate allows the next write
	for {
		d.mu.Lock()
		for len(d.q) == 0 && !d.done {
			d.cond.Wait()
		}
		if len(d.q) == 0 {
			d.mu.Unlock()
			return nil
		}
		c := d.q[0]
		d.q = d.q[1:]
		d.mu.Unlock()

		due := c.at.Add(shape.Latency)
		if shape.Rate > 0 && next.After(due) {
			due = next
		}
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.stop:
				t.Stop()
				return errLineBroken
			}
		}
		_, err := w.Write(c.data)

		d.mu.Lock()
		d.held -= len(c.data)
		d.free = append(d.free, c.data[:cap(c.data)])
		if err != nil {
			d.abort = true
		}
		d.cond.Broadcast()
		d.mu.Unlock()
		if err != nil {
			return err
		}
		if shape.Rate > 0 {
			start := due
			if next.After(start) {
				start = next
			}
			next = start.Add(time.Duration(int64(len(c.data)) * int64(time.Second) / shape.Rate))
		}
	}
}
