package s3backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// OpenRange starts a ranged GET of key: bytes off..off+n-1, or off to the end
// of the object when n < 0, and returns a reader that streams the body.
//
//   - etag != "": the GET carries If-Match: etag (quoted, as RFC 9110
//     wants, whether or not etag was), and a response with another
//     ETag (servers that ignore If-Match) fails too: ErrChanged. ETags
//     compare without their quotes. A key that is gone (404) fails with
//     ErrChanged as well, never ErrNotExist: the version asked for was
//     deleted.
//   - etag == "": the first GET carries no If-Match (a missing key is
//     ErrNotExist); the ETag it returns is pinned for any resume, so the
//     stream never mixes two versions, and a resume that finds the key
//     gone fails with ErrChanged.
//   - If the body breaks off (connection reset, unexpected EOF, no byte for
//     ReadIdleTimeout), the reader re-issues the GET from the current offset
//     with the same If-Match: the caller sees one continuous stream. Consecutive
//     failures without a byte of progress are bounded by MaxAttempts.
//   - RequestTimeout bounds each wait for response headers, not the body.
//     OperationTimeout bounds OpenRange, and each Read until it delivers a
//     byte, with all their attempts: a stalled server fails a Read with
//     ErrUnavailable after at most OperationTimeout.
//   - off at or beyond the end of the object (416 InvalidRange) is not an
//     error: the reader returns io.EOF at once. n == 0 sends no request.
//
// ctx governs the whole stream: cancelling it aborts a Read in progress.
// Close releases the connection and must be called. The reader is not safe
// for concurrent use. Errors read `get "<key>": ...`.
func (c *Client) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("get %q: negative offset %d", key, off)
	}
	r := &rangeReader{
		c:     c,
		ctx:   ctx,
		key:   key,
		etag:  etag,
		off:   off,
		limit: -1,
		retry: c.newRetrier("get", key),
	}
	if n == 0 {
		r.eof = true
		return r, nil
	}
	if n > 0 && n <= math.MaxInt64-off {
		r.limit = off + n
	}
	if err := r.retry.run(ctx, c.deadline(), r.attempt); err != nil {
		r.release()
		return nil, r.wrap(err)
	}
	return r, nil
}

// rangeReader is the io.ReadCloser behind OpenRange.
type rangeReader struct {
	c     *Client
	ctx   context.Context
	key   string
	etag  string   // If-Match for every GET; pinned from the first response when empty
	off   int64    // offset of the next byte to deliver
	limit int64    // exclusive end asked for; -1: to the end of the object
	retry *retrier // one budget for the reader's life

	// The current GET, nil between attempts.
	body   io.ReadCloser
	cancel context.CancelFunc
	wd     *watchdog
	srvEnd int64 // exclusive end the server promised (Content-Range); -1 unknown

	opened bool  // a GET has succeeded once
	eof    bool  // nothing more to read
	err    error // sticky failure
}

// attempt issues one GET from r.off, waiting at most budget for the
// response headers; it leaves r.body set on success.
func (r *rangeReader) attempt(ctx context.Context, budget time.Duration) error {
	actx, cancel := context.WithCancel(ctx)
	wd := r.c.newWatchdog(budget, cancel)
	in := &s3.GetObjectInput{
		Bucket: aws.String(r.c.bucket),
		Key:    aws.String(r.key),
		Range:  aws.String(r.rangeHeader()),
	}
	if r.etag != "" {
		in.IfMatch = aws.String(ifMatch(r.etag))
	}
	out, err := r.c.s3.GetObject(actx, in)
	if err == nil && !wd.pause() {
		_ = out.Body.Close()
		err = errors.New("response arrived as the timeout fired")
	}
	if err != nil {
		wd.pause()
		cancel()
		if wd.fired.Load() && ctx.Err() == nil {
			return &timeoutError{what: "response", after: budget}
		}
		if !r.opened && isInvalidRange(err) {
			r.eof = true
			return nil
		}
		return err
	}

	got := aws.ToString(out.ETag)
	if r.etag != "" && got != "" && !SameETag(got, r.etag) {
		_ = out.Body.Close()
		cancel()
		return fmt.Errorf("%w: server sent ETag %s, expected %s", ErrChanged, got, r.etag)
	}
	if r.etag == "" {
		r.etag = got
	}
	end, ok := contentRangeEnd(aws.ToString(out.ContentRange))
	if !ok {
		if r.off != 0 {
			_ = out.Body.Close()
			cancel()
			return fmt.Errorf("server ignored Range %s", r.rangeHeader())
		}
		end = -1
		if out.ContentLength != nil {
			end = *out.ContentLength
		}
	}
	r.body, r.cancel, r.wd, r.srvEnd = out.Body, cancel, wd, end
	r.opened = true
	return nil
}

// Read delivers the next bytes, resuming the GET after a broken body. It
// fails if no byte arrives within OperationTimeout.
func (r *rangeReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	deadline := r.c.deadline()
	for {
		if r.eof || (r.limit >= 0 && r.off >= r.limit) {
			r.release()
			return 0, io.EOF
		}
		if r.body == nil {
			if err := r.retry.run(r.ctx, deadline, r.attempt); err != nil {
				r.err = r.wrap(err)
				return 0, r.err
			}
			continue
		}
		q := p
		if r.limit >= 0 && int64(len(q)) > r.limit-r.off {
			q = q[:r.limit-r.off]
		}

		idle := min(r.c.readIdleTimeout, max(deadline.Sub(r.c.now()), 0))
		r.wd.arm(idle)
		n, err := r.body.Read(q)
		r.wd.pause()
		r.off += int64(n)
		if n > 0 {
			r.retry.progress()
		}
		if err == nil {
			return n, nil
		}
		if err == io.EOF && (r.srvEnd < 0 || r.off >= r.srvEnd) {
			r.eof = true
			r.release()
			return n, io.EOF
		}

		// The body broke off: drop this GET, resume from r.off.
		fired := r.wd.fired.Load()
		r.release()
		if ctxErr := r.ctx.Err(); ctxErr != nil {
			r.err = r.wrap(ctxErr)
			return n, r.err
		}
		if fired {
			err = &timeoutError{what: "data", after: idle}
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.retry.fail(fmt.Errorf("%w: body broke off at offset %d: %w", ErrUnavailable, r.off, err))
		if n > 0 {
			return n, nil
		}
	}
}

// Close releases the connection. It is idempotent.
func (r *rangeReader) Close() error {
	r.release()
	if r.err == nil {
		r.err = fmt.Errorf("get %q: %w", r.key, iofs.ErrClosed)
	}
	return nil
}

// release drops the current GET, if any.
func (r *rangeReader) release() {
	if r.body == nil {
		return
	}
	r.wd.pause()
	_ = r.body.Close()
	r.cancel()
	r.body, r.cancel, r.wd = nil, nil, nil
}

// wrap adds the operation and key to err. A pinned read (an ETag given,
// or taken from the first answer) of a key that is gone fails with
// ErrChanged, not ErrNotExist: the version the reader stands for was
// deleted, as good as replaced, and an open file has no path to be
// missing. The 404 stays in the message but not in the chain.
func (r *rangeReader) wrap(err error) error {
	if r.etag != "" && errors.Is(err, ErrNotExist) {
		err = fmt.Errorf("%w: the object was deleted (%v)", ErrChanged, err)
	}
	return fmt.Errorf("get %q: %w", r.key, err)
}

func (r *rangeReader) rangeHeader() string {
	if r.limit >= 0 {
		return fmt.Sprintf("bytes=%d-%d", r.off, r.limit-1)
	}
	return fmt.Sprintf("bytes=%d-", r.off)
}
