package s3test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

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
