package s3test

import (
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

// ErrProxyClosed is returned by SetDown after Close.
var ErrProxyClosed = errors.New("s3test: proxy closed")

// Proxy is a reverse proxy on 127.0.0.1 in front of an S3 server. It counts
// requests by Op, logs the last DefaultRequestLogSize of them, refuses
// what B2 refuses (SetB2Rules, on by default), injects the faults set with
// SetFaults and shapes its traffic as set with SetShape. It forwards the
// inbound Host header unchanged, so SigV4 signatures made for the proxy's
// URL stay valid.
type Proxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:port. It stays the same
	// across SetDown(true)/SetDown(false).
	URL string

	addr      string // host:port the proxy listens on
	logger    *slog.Logger
	rp        *httputil.ReverseProxy
	transport *http.Transport

	mu       sync.Mutex     // guards counts, ring, ringLen, seq, faults, shape, rulesOff; never held across I/O
	counts   map[string]int // requests per Op since the last ResetCounts
	ring     []Request      // request log, entry for Seq s at index (s-1) % len(ring)
	ringLen  int            // number of valid entries in ring
	seq      uint64         // Seq of the last request
	faults   faultState
	shape    Shape // applied to connections accepted from now on
	rulesOff bool  // B2's rules are not enforced (SetB2Rules(false))

	parts *partLedger // sizes of the parts the server accepted, for B2's rules

	responseBytes atomic.Int64 // response body bytes sent to clients since the last ResetCounts
	requestBytes  atomic.Int64 // request body bytes read from clients since the last ResetCounts

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
		parts:     newPartLedger(),
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(tu)
			pr.Out.Host = pr.In.Host // SigV4 signs Host: keep the client's
		},
		Transport:      tr,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		BufferPool:     newCopyBuffers(),
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.proxyError,
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

// SetB2Rules turns the enforcement of B2's write rules on (the default)
// or off. On, the proxy answers what B2 refuses the way B2 does, without
// forwarding it: checksum headers, conditional PutObject, bad file names,
// parts or objects of the wrong size (see checkB2Rules and
// partLedger.checkComplete). Off, the server behind judges everything, for
// a test that needs a plain S3 server.
func (p *Proxy) SetB2Rules(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rulesOff = !on
}

// SetFaults replaces the fault configuration and restarts its counters and
// random source. SetFaults(Faults{}) turns faults off.
func (p *Proxy) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	st := newFaultState(f.clone())
	p.mu.Lock()
	p.faults = st
	p.mu.Unlock()
	return nil
}
