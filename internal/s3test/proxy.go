package s3test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRequestLogSize is how many requests a Proxy remembers for Requests.
const DefaultRequestLogSize = 1000

// ErrProxyClosed is returned by SetDown after Close.
var ErrProxyClosed = errors.New("s3test: proxy closed")

// Request is one entry of a Proxy's request log.
type Request struct {
	Seq     uint64 // arrival order since the proxy started, from 1
	Time    time.Time
	Op      string // OpGet, OpList, ...
	Method  string
	Path    string // escaped path as received
	Query   string // raw query as received
	Range   string // Range header
	IfMatch string // If-Match header
	// Status is the status sent to the client, 0 while none has been sent
	// (or never, for a request stalled until the client left).
	Status int
	// Fault is the injected fault: "", "fail", "stall", "cut" or "stall+cut".
	Fault    string
	Duration time.Duration // 0 until the proxy is done with the request
}

// Proxy is a reverse proxy on 127.0.0.1 in front of an S3 server. It counts
// requests by Op, logs the last DefaultRequestLogSize of them, injects
// the faults set with SetFaults and shapes its answers as set with SetShape. It forwards the inbound Host header
// unchanged, so SigV4 signatures made for the proxy's URL stay valid.
type Proxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:port. It stays the same
	// across SetDown(true)/SetDown(false).
	URL string

	addr      string // host:port the proxy listens on
	logger    *slog.Logger
	rp        *httputil.ReverseProxy
	transport *http.Transport

	mu      sync.Mutex     // guards counts, ring, ringLen, seq, faults, shape; never held across I/O
	counts  map[string]int // requests per Op since the last ResetCounts
	ring    []Request      // request log, entry for Seq s at index (s-1) % len(ring)
	ringLen int            // number of valid entries in ring
	seq     uint64         // Seq of the last request
	faults  faultState
	shape   Shape // applied to connections accepted from now on

	bodyBytes atomic.Int64 // response body bytes sent to clients since the last ResetCounts

	lifeMu   sync.Mutex      // serialises SetDown and Close; guards srv, listener, genDone, down, closed. Held while a listener is opened or closed, never on the request path.
	srv      *http.Server    // current server, nil while down or closed
	listener *shapedListener // srv's listener
	genDone  chan struct{}   // closed when the current server goes down
	down     bool
	closed   bool
	serveWG  sync.WaitGroup // Serve goroutines
}

// NewProxy starts a Proxy on a free port of 127.0.0.1 forwarding to target
// (a base URL such as http://127.0.0.1:9000). A nil logger discards logs.
func NewProxy(target string, logger *slog.Logger) (*Proxy, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tu, err := url.Parse(target)
	if err != nil || tu.Scheme == "" || tu.Host == "" {
		return nil, fmt.Errorf("new proxy: bad target %q", target)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil               // loopback only, never an HTTP proxy from the environment
	tr.DisableCompression = true // pass bodies and Content-Length through untouched
	tr.MaxIdleConnsPerHost = 64

	p := &Proxy{
		logger:    logger,
		transport: tr,
		counts:    map[string]int{},
		ring:      make([]Request, DefaultRequestLogSize),
		faults:    newFaultState(Faults{}),
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(tu)
			pr.Out.Host = pr.In.Host // SigV4 signs Host: keep the client's
		},
		Transport:  tr,
		ErrorLog:   slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		BufferPool: newCopyBuffers(),
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("new proxy: %w", err)
	}
	p.addr = ln.Addr().String()
	p.URL = "http://" + p.addr
	p.lifeMu.Lock()
	p.startLocked(ln)
	p.lifeMu.Unlock()
	logger.Debug("s3 proxy started", "url", p.URL, "target", target)
	return p, nil
}

// startLocked serves on ln. lifeMu must be held.
func (p *Proxy) startLocked(ln net.Listener) {
	done := make(chan struct{})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.serve(w, r, done)
		}),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(p.logger.Handler(), slog.LevelDebug),
	}
	sl := newShapedListener(ln, p.currentShape)
	p.srv, p.listener, p.genDone, p.down = srv, sl, done, false
	p.serveWG.Add(1)
	go func() {
		defer p.serveWG.Done()
		if err := srv.Serve(sl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.logger.Debug("s3 proxy serve", "err", err)
		}
	}()
}

// stopLocked closes the listener and every connection. lifeMu must be held.
func (p *Proxy) stopLocked() {
	if p.srv == nil {
		return
	}
	close(p.genDone)
	p.listener.dropAll() // shaped answers still queued would hold up Close
	_ = p.srv.Close()
	p.srv, p.listener, p.genDone = nil, nil, nil
	p.transport.CloseIdleConnections()
}

// SetShape makes the proxy look like a server across a network (see
// Shape) to every connection it accepts from now on; connections already
// open keep the shape they had. The zero Shape turns shaping off. Shaping
// here rather than in a proxy of its own in front saves a loopback hop
// whose CPU the clients being measured would share.
func (p *Proxy) SetShape(s Shape) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shape = s
	return nil
}

func (p *Proxy) currentShape() Shape {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shape
}

// SetDown(true) closes the listener and all open connections: new
// connections are refused and requests in flight fail. SetDown(false)
// listens again on the same port. Either is a no-op if already in that state.
func (p *Proxy) SetDown(down bool) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	switch {
	case p.closed:
		return ErrProxyClosed
	case down == p.down:
		return nil
	case down:
		p.stopLocked()
		p.down = true
		p.logger.Debug("s3 proxy down", "url", p.URL)
		return nil
	}
	ln, err := listenRetry(p.addr, 2*time.Second)
	if err != nil {
		return fmt.Errorf("proxy up: %w", err)
	}
	p.startLocked(ln)
	p.logger.Debug("s3 proxy up", "url", p.URL)
	return nil
}

// listenRetry listens on addr, retrying for up to wait while the port is
// still busy.
func listenRetry(addr string, wait time.Duration) (net.Listener, error) {
	deadline := time.Now().Add(wait)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the proxy for good: listener, connections, stalled requests.
// It is safe to call more than once.
func (p *Proxy) Close() error {
	p.lifeMu.Lock()
	if p.closed {
		p.lifeMu.Unlock()
		return nil
	}
	p.closed = true
	p.stopLocked()
	p.down = true
	p.lifeMu.Unlock()
	p.serveWG.Wait()
	p.transport.CloseIdleConnections()
	return nil
}

// SetFaults replaces the fault configuration and restarts its counters and
// random source. SetFaults(Faults{}) turns faults off.
func (p *Proxy) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	f.FailOps = append([]string(nil), f.FailOps...)
	f.StallOps = append([]string(nil), f.StallOps...)
	st := newFaultState(f)
	p.mu.Lock()
	p.faults = st
	p.mu.Unlock()
	return nil
}

// Counts returns a snapshot of the number of requests per Op since the last
// ResetCounts. Requests refused while down are not counted; failed, stalled
// and cut ones are.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// ResponseBytes returns how many response body bytes the proxy has sent
// to clients since the last ResetCounts, over all requests (object bodies,
// listings, errors). A cut or abandoned body counts what got through.
func (p *Proxy) ResponseBytes() int64 { return p.bodyBytes.Load() }

// ResetCounts zeroes the counts and the response bytes, and empties the
// request log.
func (p *Proxy) ResetCounts() {
	p.bodyBytes.Store(0)
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
	clear(p.ring)
	p.ringLen = 0 // seq keeps counting so late updates of older requests match nothing
}

// SetRequestLogSize makes the request log keep the last n requests
// (default DefaultRequestLogSize), for tests that check more of them. It
// empties the log.
func (p *Proxy) SetRequestLogSize(n int) error {
	if n < 1 {
		return fmt.Errorf("request log size %d, want at least 1", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ring = make([]Request, n)
	p.ringLen = 0
	return nil
}

// Requests returns a copy of the request log, oldest first: the last
// DefaultRequestLogSize (or SetRequestLogSize) requests since the last
// ResetCounts. An entry
// appears when the request arrives; Status is filled in before the client
// can see the answer, Duration when the proxy is done.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, 0, p.ringLen)
	for s := p.seq - uint64(p.ringLen) + 1; s <= p.seq; s++ {
		out = append(out, p.ring[(s-1)%uint64(len(p.ring))])
	}
	return out
}

// update applies fn to the log entry seq if it is still in the ring.
func (p *Proxy) update(seq uint64, fn func(*Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := &p.ring[(seq-1)%uint64(len(p.ring))]
	if e.Seq == seq {
		fn(e)
	}
}

// serve handles one request: count and log it, then fail, stall, forward
// and possibly cut it as the faults say.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
	start := time.Now()
	op := Classify(r)
	entry := Request{
		Time: start, Op: op, Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Range: r.Header.Get("Range"), IfMatch: r.Header.Get("If-Match"),
	}

	p.mu.Lock()
	p.counts[op]++
	p.seq++
	seq := p.seq
	entry.Seq = seq
	p.ring[(seq-1)%uint64(len(p.ring))] = entry
	if p.ringLen < len(p.ring) {
		p.ringLen++
	}
	fail := p.faults.decideFail(op)
	retryAfter := ""
	if fail {
		retryAfter = p.faults.retryAfter()
	}
	var stall bool
	var stallFor time.Duration
	if !fail {
		stall, stallFor = p.faults.decideStall(op)
	}
	cfg := p.faults.cfg
	p.mu.Unlock()

	fault := ""
	rw := &faultWriter{ResponseWriter: w, onStatus: func(code int) {
		p.update(seq, func(e *Request) { e.Status = code })
	}, onBody: func(n int) { p.bodyBytes.Add(int64(n)) }}
	defer func() {
		p.update(seq, func(e *Request) { e.Fault, e.Duration = fault, time.Since(start) })
	}()

	if fail {
		fault = "fail"
		status, code := cfg.errorStatus()
		p.logger.Debug("s3 proxy: injected error", "op", op, "path", entry.Path, "status", status)
		writeS3Error(rw, r, status, code, retryAfter, fmt.Sprintf("B2MOUNTPROXY%08d", seq))
		return
	}
	if stall {
		fault = "stall"
		p.logger.Debug("s3 proxy: stalling", "op", op, "path", entry.Path, "for", stallFor)
		if !waitStall(r.Context(), done, stallFor) {
			return
		}
	}
	if op == OpGet {
		rw.decideCut = func() (bool, int64) {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.faults.decideCut()
		}
		rw.onCut = func() {
			if fault == "" {
				fault = "cut"
			} else {
				fault += "+cut"
			}
			p.logger.Debug("s3 proxy: cutting body", "path", entry.Path, "after", rw.limit)
		}
	}
	p.rp.ServeHTTP(rw, r)
	if rw.didCut {
		// ReverseProxy aborts on the write error itself; this is a backstop.
		panic(http.ErrAbortHandler)
	}
}

// waitStall holds a request for d (forever if d is 0). It reports whether
// the request should go on, i.e. neither the client nor the proxy went away.
func waitStall(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-ctx.Done():
		return false
	case <-done:
		return false
	}
}

// copyBufferSize is the proxy's copy buffer: 8 times ReverseProxy's
// default, so a body passes through in an eighth of the system calls and
// the proxy takes less of the CPU that the client being measured shares.
const copyBufferSize = 256 << 10

// copyBuffers is ReverseProxy's BufferPool.
type copyBuffers struct{ pool sync.Pool }

func newCopyBuffers() *copyBuffers {
	return &copyBuffers{pool: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

func (c *copyBuffers) Get() []byte  { return c.pool.Get().(*[copyBufferSize]byte)[:] }
func (c *copyBuffers) Put(b []byte) { c.pool.Put((*[copyBufferSize]byte)(b)) }
