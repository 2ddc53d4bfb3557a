package s3test

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
)

// errCutUpload is what a cut request body returns once the cut is due; it
// makes the transport to the server fail the request.
var errCutUpload = errors.New("s3test: injected request body cut")

// errAbandoned tells ReverseProxy that the answer is not to be sent.
var errAbandoned = errors.New("s3test: answer abandoned")

// exchangeKey is the request context key of the request's *exchange.
type exchangeKey struct{}

// exchange is the proxy's state for one request in flight, shared between
// serve and the ReverseProxy hooks (ModifyResponse, ErrorHandler) through
// the request's context.
type exchange struct {
	op   string
	plan faultPlan
	done <-chan struct{} // closed when the proxy goes down

	fault string // the log's Fault so far; serve's goroutine only

	// uploadCut is set by cutBody (on the transport's goroutine) when it
	// cut the body; abort by the hooks when the client is to get no
	// answer. serve then aborts the client's connection.
	uploadCut atomic.Bool
	abort     atomic.Bool
}

// addFault appends f to the log's Fault ("stall" then "cut": "stall+cut").
func (x *exchange) addFault(f string) {
	if x.fault == "" {
		x.fault = f
	} else {
		x.fault += "+" + f
	}
}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// modifyResponse is ReverseProxy's ModifyResponse: it notes the parts the
// server accepted and holds an answer stalled at StallBeforeAnswer.
func (p *Proxy) modifyResponse(res *http.Response) error {
	x := exchangeOf(res.Request)
	if x == nil {
		return nil
	}
	if x.uploadCut.Load() { // the server answered a truncated body: the client gets nothing
		return errCutUpload
	}
	p.parts.answered(res.Request, x.op, res.StatusCode)
	if x.plan.stall && x.plan.stallAt == StallBeforeAnswer && !waitStall(res.Request.Context(), x.done, x.plan.stallFor) {
		return errAbandoned
	}
	return nil
}

// proxyError is ReverseProxy's ErrorHandler: 502 for a server that could
// not be reached or answered nonsense, nothing for a request whose body
// was cut or whose answer was abandoned (serve then aborts the
// connection).
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if x := exchangeOf(r); x != nil && (x.uploadCut.Load() || errors.Is(err, errAbandoned) || errors.Is(err, errCutUpload)) {
		x.abort.Store(true)
		return
	}
	p.logger.Debug("s3 proxy: forwarding failed", "method", r.Method, "path", r.URL.Path, "err", err)
	w.WriteHeader(http.StatusBadGateway)
}

// countingBody counts the request body bytes read from the client.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// cutBody lets left bytes of a request body through, then fails.
type cutBody struct {
	io.ReadCloser
	left int64
	x    *exchange
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.x.uploadCut.Store(true)
		return 0, errCutUpload
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}
