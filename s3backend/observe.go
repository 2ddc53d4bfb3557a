package s3backend

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Observer is told of every request a Client sends and of the body bytes
// that cross the wire, for metrics (b2mount's metrics package
// implements it; this package knows nothing of metrics). Its methods are
// called from many goroutines at once, on the I/O path: they must return
// quickly and never block. Nothing passed to them holds a key, a secret or
// object data.
type Observer interface {
	// Request is called once for every HTTP request sent: every attempt
	// of an operation, retries and GETs resumed after a broken body
	// included. It is called when the attempt ends: once the answer's
	// headers arrived for a GET, once the whole answer was read for
	// the calls that answer in XML, or when the attempt failed.
	Request(Request)
	// Received is called as the client reads bytes of an answer's body
	// (objects, listings, errors), Sent as the transport reads bytes of a
	// request's body to send them (objects, parts, XML), every attempt's
	// bytes counted: the bytes of HTTP bodies on the wire, headers not
	// included.
	Received(n int64)
	Sent(n int64)
}

// Request describes one HTTP request, for an Observer.
type Request struct {
	// Operation is the S3 API call, as the S3 API names it: "GetObject",
	// "HeadObject", "ListObjectsV2", "PutObject", "CopyObject", ...
	Operation string
	// Status is the HTTP status of the answer, or 0 when none came (the
	// connection failed, the attempt timed out or was cancelled first).
	Status int
	// Retry is set for every attempt after an operation's first: a retry
	// after a failure, a GET resumed after its body broke off.
	Retry bool
	// Duration is from the start of the attempt to its end (see
	// Observer.Request), by the client's clock.
	Duration time.Duration
}

// probe collects what the SDK's middleware stack learns of one attempt's
// request: the operation and the status of its answer. The stack runs on
// the goroutine that calls the SDK, which reads the probe once the call
// has returned.
type probe struct {
	op     string // "" until the request reaches the stack
	status int    // 0 until an answer arrives
}

type probeKey struct{}

// addProbe puts the probe middleware last in the stack's deserialize step,
// next to the transport: it sees the raw answer of every request, before
// an error status becomes a Go error, and the operation's name.
func addProbe(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("b2mountProbe",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error) {
			p, _ := ctx.Value(probeKey{}).(*probe)
			if p != nil {
				p.op = middleware.GetOperationName(ctx)
			}
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && p != nil {
				p.status = resp.StatusCode
			}
			return out, md, err
		}), middleware.After)
}

// try runs one attempt of r's operation and tells the client's Observer,
// if any, of the request it sent. An attempt that never reached the SDK
// sent nothing and is not reported.
func (r *retrier) try(ctx context.Context, budget time.Duration, attempt attemptFunc) error {
	obs := r.c.observer
	if obs == nil {
		return attempt(ctx, budget)
	}
	p := &probe{}
	start := r.c.now()
	err := attempt(context.WithValue(ctx, probeKey{}, p), budget)
	if p.op != "" {
		obs.Request(Request{Operation: p.op, Status: p.status, Retry: r.failures > 0, Duration: r.c.now().Sub(start)})
	}
	return err
}

// observedHTTP counts the body bytes of every request and answer that pass
// through inner for obs.
type observedHTTP struct {
	inner s3.HTTPClient
	obs   Observer
}

func (h observedHTTP) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &countedBody{rc: req.Body, add: h.obs.Sent}
	}
	resp, err := h.inner.Do(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &countedBody{rc: resp.Body, add: h.obs.Received}
	}
	return resp, err
}

// countedBody passes the size of every read of rc to add.
type countedBody struct {
	rc  io.ReadCloser
	add func(int64)
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.add(int64(n))
	}
	return n, err
}

func (b *countedBody) Close() error { return b.rc.Close() }
