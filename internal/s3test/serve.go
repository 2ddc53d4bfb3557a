package s3test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// serve handles one request: count and log it, refuse it if B2 would,
// then fail, stall, forward and possibly cut it as the faults say.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
	start := time.Now()
	op := Classify(r)
	size := requestSize(r)
	seq := p.logArrival(Request{
		Time: start, Op: op, Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Range: r.Header.Get("Range"), IfMatch: r.Header.Get("If-Match"), Size: size,
	})
	// From here on r is a shallow copy, whose Body the proxy may wrap and
	// replace: net/http looks at the original's to finish the exchange.
	x := &exchange{op: op, done: done}
	r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &countingBody{ReadCloser: r.Body, n: &p.requestBytes}
	}
	rw := &faultWriter{ResponseWriter: w, onStatus: func(code int) {
		p.update(seq, func(e *Request) { e.Status = code })
	}, onBody: func(n int) { p.responseBytes.Add(int64(n)) }}
	defer func() {
		p.update(seq, func(e *Request) { e.Duration = time.Since(start) })
	}()
	// fault notes an injected fault in the log at once, so a test can see
	// a request stalled while it is held.
	fault := func(f string) {
		x.addFault(f)
		p.update(seq, func(e *Request) { e.Fault = x.fault })
	}

	if e := p.checkRules(r, op); e != nil {
		p.update(seq, func(entry *Request) { entry.Refused = e.String() })
		p.logger.Debug("s3 proxy: refused as B2 would", "op", op, "path", r.URL.Path, "answer", e.String())
		drainBody(r)
		writeS3Error(rw, r, *e, "", requestID(seq))
		return
	}

	p.mu.Lock()
	x.plan = p.faults.plan(op, size)
	p.mu.Unlock()
	if x.plan.fail {
		fault("fail")
		p.logger.Debug("s3 proxy: injected error", "op", op, "path", r.URL.Path, "status", x.plan.err.Status)
		drainBody(r)
		writeS3Error(rw, r, x.plan.err, x.plan.retryAfter, requestID(seq))
		return
	}
	if x.plan.stall {
		fault("stall")
		p.logger.Debug("s3 proxy: stalling", "op", op, "path", r.URL.Path, "for", x.plan.stallFor, "at", x.plan.stallAt)
		if !p.stallBeforeForwarding(r, x) {
			// The client or the proxy went away: no answer at all (a
			// handler that just returned would send an empty 200).
			panic(http.ErrAbortHandler)
		}
	}
	if x.plan.cutUpload {
		r.Body = &cutBody{ReadCloser: r.Body, left: x.plan.cutAfter, x: x}
	}
	if op == OpGet {
		rw.decideCut = func() (bool, int64) {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.faults.decideCut()
		}
		rw.onCut = func() {
			fault("cut")
			p.logger.Debug("s3 proxy: cutting body", "path", r.URL.Path, "after", rw.limit)
		}
	}
	p.rp.ServeHTTP(rw, r)
	if x.uploadCut.Load() {
		fault("cut")
		p.logger.Debug("s3 proxy: cut request body", "op", op, "path", r.URL.Path, "after", x.plan.cutAfter)
	}
	if rw.didCut || x.abort.Load() || x.uploadCut.Load() {
		// ReverseProxy aborts on a cut answer itself; this is a backstop,
		// and the only abort for the other cases.
		panic(http.ErrAbortHandler)
	}
}

// checkRules returns B2's refusal of r, or nil when B2 would take it or
// the rules are off.
func (p *Proxy) checkRules(r *http.Request, op string) *s3Error {
	p.mu.Lock()
	off := p.rulesOff
	p.mu.Unlock()
	if off {
		return nil
	}
	if e := checkB2Rules(r, op); e != nil {
		return e
	}
	if op == OpCompleteUpload {
		return p.parts.checkComplete(r)
	}
	return nil
}

// stallBeforeForwarding holds a stalled request at StallBeforeBody or
// StallAfterBody (StallBeforeAnswer is held in the ReverseProxy's
// ModifyResponse). It reports whether the request should go on.
func (p *Proxy) stallBeforeForwarding(r *http.Request, x *exchange) bool {
	switch x.plan.stallAt {
	case StallBeforeAnswer:
		return true
	case StallAfterBody:
		if r.Body != nil && r.Body != http.NoBody {
			data, err := io.ReadAll(r.Body)
			if err != nil {
				return false // the client went away
			}
			r.Body = io.NopCloser(bytes.NewReader(data))
		}
	}
	return waitStall(r.Context(), x.done, x.plan.stallFor)
}

// requestID is the X-Amz-Request-Id of an answer the proxy makes itself.
func requestID(seq uint64) string { return fmt.Sprintf("B2MOUNTPROXY%08d", seq) }

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
