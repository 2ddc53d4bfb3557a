package s3backend

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// call runs one request without a body (CreateUpload, Complete, Copy,
// Delete, ...) through the retry loop: RequestTimeout per attempt,
// OperationTimeout in all, both stretched by slack for requests the server
// needs longer to answer. The error is classified, not wrapped.
func (c *Client) call(ctx context.Context, op, key string, slack time.Duration, fn func(ctx context.Context) error) error {
	r := c.newRetrier(op, key)
	r.slack = slack
	return r.run(ctx, c.deadline().Add(slack), timed(fn))
}

// send runs one request that carries size bytes of body (PutObject,
// UploadPart) through the retry loop. Each attempt reads the body afresh
// from its start (an io.SectionReader of its own), so a retry never sends
// what an earlier attempt left half read.
//
// Time limits follow the body, not the clock of the whole operation: an
// attempt is abandoned when the server takes no body byte for
// ReadIdleTimeout, or sends no response within RequestTimeout once the
// body is sent (or before its first byte is taken). OperationTimeout
// bounds the retries and backoff after the last attempt that sent
// anything, so a large part on a slow link is never cut for taking long.
func (c *Client) send(ctx context.Context, op, key string, body io.ReaderAt, size int64,
	fn func(ctx context.Context, body io.ReadSeeker) error) error {
	r := c.newRetrier(op, key)
	return r.run(ctx, c.deadline(), func(ctx context.Context, budget time.Duration) error {
		actx, cancel := context.WithCancel(ctx)
		defer cancel()
		wd := c.newWatchdog(budget, cancel)
		b := &sendBody{r: io.NewSectionReader(body, 0, size), wd: wd, idle: c.readIdleTimeout, wait: c.requestTimeout}
		b.last.Store(int64(budget))
		err := fn(actx, b)
		b.over.Store(true)
		wd.pause()
		if err != nil && b.moved.Load() {
			r.renew = true
		}
		if err != nil && wd.fired.Load() && ctx.Err() == nil {
			if b.sent.Load() || !b.moved.Load() {
				return &timeoutError{what: "response", after: b.limit()}
			}
			return &timeoutError{what: "progress sending the body", after: b.limit()}
		}
		return err
	})
}

// errAttemptOver fails a read of a body whose attempt has ended: the
// HTTP transport may still be reading it while the answer arrived early.
var errAttemptOver = errors.New("request attempt is over")

// sendBody is the body of one attempt of send. The HTTP transport reads
// it on a goroutine of its own: every read re-arms the attempt's watchdog
// with the idle timeout, the end of the body arms it with the response
// timeout.
type sendBody struct {
	r          *io.SectionReader
	wd         *watchdog
	idle, wait time.Duration
	moved      atomic.Bool  // a byte was taken
	sent       atomic.Bool  // the body was read to its end
	over       atomic.Bool  // the attempt has ended
	last       atomic.Int64 // the timeout armed last, for the error
}

func (b *sendBody) Read(p []byte) (int, error) {
	if b.over.Load() {
		return 0, errAttemptOver
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.moved.Store(true)
		b.last.Store(int64(b.idle))
		b.wd.arm(b.idle)
	}
	if err == io.EOF {
		b.sent.Store(true)
		b.last.Store(int64(b.wait))
		b.wd.arm(b.wait)
	}
	return n, err
}

// Seek lets the SDK find the length and rewind after hashing the body.
func (b *sendBody) Seek(off int64, whence int) (int64, error) {
	pos, err := b.r.Seek(off, whence)
	if err == nil && pos < b.r.Size() {
		b.sent.Store(false)
	}
	return pos, err
}

// limit is the timeout armed last: the one that fired.
func (b *sendBody) limit() time.Duration { return time.Duration(b.last.Load()) }
