package s3server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"
)

// Shape is how a Shaper degrades the way back from the server: every byte
// the server sends reaches the client Latency later, and no connection
// carries more than Rate bytes per second. Requests pass untouched.
type Shape struct {
	// Latency delays each byte of every answer, so an answer's first byte
	// comes Latency after the server sent it (a one-way delay line).
	Latency time.Duration
	// Rate caps each connection's server-to-client bytes per second; 0 is
	// no cap.
	Rate int64
}

// shaperChunk is the most a connection reads from the server at a time.
const shaperChunk = 64 << 10

// Shaper is a TCP proxy on 127.0.0.1 that makes a loopback server look
// like one across a network: see Shape. It knows nothing about HTTP, so
// anything signed for its address (Host header) stays valid.
type Shaper struct {
	// URL is http://127.0.0.1:port, to use instead of the target's URL.
	URL string

	target string // host:port
	shape  Shape
	ln     net.Listener
	logger *slog.Logger
	wg     sync.WaitGroup // the accept loop and every connection

	mu     sync.Mutex            // guards conns and closed; never held across I/O
	conns  map[net.Conn]struct{} // open connections, both sides
	closed bool
}

// NewShaper listens on a free port of 127.0.0.1 and forwards every
// connection to target (a base URL such as http://127.0.0.1:9000) with
// shape applied. A nil logger discards logs.
func NewShaper(target string, shape Shape, logger *slog.Logger) (*Shaper, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tu, err := url.Parse(target)
	if err != nil || tu.Host == "" {
		return nil, fmt.Errorf("new shaper: bad target %q", target)
	}
	if shape.Latency < 0 || shape.Rate < 0 {
		return nil, fmt.Errorf("new shaper: negative latency or rate in %+v", shape)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("new shaper: %w", err)
	}
	s := &Shaper{
		URL:    "http://" + ln.Addr().String(),
		target: tu.Host,
		shape:  shape,
		ln:     ln,
		logger: logger,
		conns:  make(map[net.Conn]struct{}),
	}
	s.wg.Add(1)
	go s.accept()
	logger.Debug("shaper started", "url", s.URL, "target", target, "latency", shape.Latency, "rate", shape.Rate)
	return s, nil
}

// Close stops listening, drops every connection and waits for them.
func (s *Shaper) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Shaper) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.logger.Debug("shaper accept", "err", err)
			}
			return
		}
		s.wg.Add(1)
		go s.serve(c)
	}
}

// track registers c so Close can drop it; false once the shaper is closed.
func (s *Shaper) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Shaper) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// serve forwards one client connection until either side is done.
func (s *Shaper) serve(client net.Conn) {
	defer s.wg.Done()
	defer client.Close()
	if !s.track(client) {
		return
	}
	defer s.untrack(client)
	server, err := net.Dial("tcp", s.target)
	if err != nil {
		s.logger.Debug("shaper dial", "target", s.target, "err", err)
		return
	}
	defer server.Close()
	if !s.track(server) {
		return
	}
	defer s.untrack(server)

	line := newDelayLine(2 * max(shaperChunk, int(s.shape.Rate*int64(s.shape.Latency)/int64(time.Second))))
	done := make(chan struct{}, 3)
	go func() { // requests: untouched
		_, _ = io.Copy(server, client)
		closeWrite(server)
		done <- struct{}{}
	}()
	go func() { // answers, into the delay line
		line.fill(server)
		done <- struct{}{}
	}()
	go func() { // answers, out of the delay line at the shaped pace
		if err := line.drain(client, s.shape); err != nil {
			_ = server.Close() // the client is gone: stop the fill too
		}
		closeWrite(client)
		done <- struct{}{}
	}()
	for range 3 {
		<-done
	}
}

// closeWrite half-closes c when it can, so the peer sees EOF.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}

// delayLine carries one connection's answer bytes from the server to the
// client, each stamped with when it arrived. It holds at most limit bytes,
// so a slow client slows the server down (TCP back-pressure).
type delayLine struct {
	limit int

	mu    sync.Mutex // guards the fields below
	cond  *sync.Cond // signalled when q, held or done change
	q     []stamped
	free  [][]byte // drained buffers, for fill to reuse
	held  int      // bytes in q
	done  bool     // fill has ended (EOF or error)
	abort bool     // drain has given up
}

type stamped struct {
	at   time.Time
	data []byte
}

func newDelayLine(limit int) *delayLine {
	d := &delayLine{limit: limit}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// fill reads r into the line until EOF, an error, or drain gives up.
func (d *delayLine) fill(r io.Reader) {
	defer func() {
		d.mu.Lock()
		d.done = true
		d.cond.Broadcast()
		d.mu.Unlock()
	}()
	for {
		d.mu.Lock()
		for d.held >= d.limit && !d.abort {
			d.cond.Wait()
		}
		stop := d.abort
		var buf []byte
		if k := len(d.free); k > 0 {
			buf, d.free = d.free[k-1], d.free[:k-1]
		}
		d.mu.Unlock()
		if stop {
			return
		}
		if buf == nil {
			buf = make([]byte, shaperChunk)
		}
		n, err := r.Read(buf)
		if n > 0 {
			d.mu.Lock()
			d.q = append(d.q, stamped{at: time.Now(), data: buf[:n]})
			d.held += n
			d.cond.Broadcast()
			d.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// drain writes the line to w, each chunk no sooner than shape.Latency after
// it arrived and no faster than shape.Rate. It returns nil at the end of
// the answers, or the write error that ended it.
func (d *delayLine) drain(w io.Writer, shape Shape) error {
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
			time.Sleep(wait)
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
