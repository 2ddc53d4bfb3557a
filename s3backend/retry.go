package s3backend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retrier runs one logical request (a LIST page, a HEAD, the GETs behind one
// reader) through this package's only retry loop: up to Client.maxAttempts
// consecutive failures, exponential backoff with full jitter (BackoffBase,
// BackoffMax), or the server's Retry-After (seconds or HTTP date, capped at
// RetryAfterMax), all within one deadline per operation (OperationTimeout).
// It is not safe for concurrent use; each request has its own.
type retrier struct {
	c        *Client
	op       string // "list", "head", "get", "put", ...
	target   string // key or prefix, for logs
	failures int    // consecutive failures so far
	last     error  // the last failure, classified
	// slack is added to RequestTimeout for each attempt, for a request
	// the server needs longer to answer (a server-side copy); the caller
	// adds it to the deadline too.
	slack time.Duration
	// renew is set by an attempt that sent part of its body: its failure
	// starts a fresh OperationTimeout for the backoff and the next
	// attempts, as a GET's delivered bytes do, without resetting the
	// count of failures (a server that takes every body and then fails
	// must still run out of attempts).
	renew bool
}

func (c *Client) newRetrier(op, target string) *retrier {
	return &retrier{c: c, op: op, target: target}
}

// attemptFunc is one try of a request. It must give up after budget (the
// attempt's share of the operation: at most RequestTimeout) and report that
// as a *timeoutError. ctx is the caller's: what the attempt opens (a GET
// body) may outlive run.
type attemptFunc func(ctx context.Context, budget time.Duration) error

// deadline is when an operation starting now must be done.
func (c *Client) deadline() time.Time { return c.now().Add(c.opTimeout) }

// run calls attempt until it succeeds, fails for good, the attempts are used
// up or the deadline passes, sleeping between tries; it never starts a
// sleep that would end after the deadline. A done ctx ends it at once with
// ctx.Err(). Failures recorded earlier with fail count against the same
// budget.
func (r *retrier) run(ctx context.Context, deadline time.Time, attempt attemptFunc) error {
	for {
		left := deadline.Sub(r.c.now())
		if r.failures > 0 {
			if r.failures >= r.c.maxAttempts {
				return r.giveUp(fmt.Errorf("after %d attempts: %w", r.failures, r.last))
			}
			d := r.c.delay(r.failures, r.last)
			if d >= left {
				return r.giveUp(&deadlineError{after: r.c.opTimeout, attempts: r.failures, last: r.last})
			}
			r.c.log.Debug("s3 request failed, retrying", "op", r.op, "key", r.target,
				"attempt", r.failures, "delay", d, "err", r.last)
			if err := r.c.sleep(ctx, d); err != nil {
				return err
			}
			left -= d
		}
		err := r.try(ctx, min(r.c.requestTimeout+r.slack, left), attempt)
		if err == nil {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		err = classify(err)
		if !retryable(err) {
			return err
		}
		r.fail(err)
		if r.renew {
			r.renew = false
			deadline = r.c.deadline().Add(r.slack)
		}
	}
}

// giveUp logs the end of the retries at debug level (the caller reports the
// failure once) and returns err.
func (r *retrier) giveUp(err error) error {
	r.c.log.Debug("s3 request failed, giving up", "op", r.op, "key", r.target,
		"attempts", r.failures, "err", r.last)
	return err
}

// fail records a retryable failure that happened outside run (a GET body
// that broke off), so the next run backs off and counts it.
func (r *retrier) fail(err error) {
	r.failures++
	r.last = err
}

// progress resets the failure count: the last attempt delivered data.
func (r *retrier) progress() { r.failures = 0 }

// timed bounds one attempt of a LIST or HEAD by its budget and turns the
// expiry into a *timeoutError (the caller's own ctx is checked by run).
func timed(call func(ctx context.Context) error) attemptFunc {
	return func(ctx context.Context, budget time.Duration) error {
		actx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		err := call(actx)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			return &timeoutError{what: "response", after: budget}
		}
		return err
	}
}

// retryable: throttling and server/network trouble, except failures that
// another try cannot fix (unknown host, bad TLS certificate).
func retryable(err error) bool {
	if !errors.Is(err, ErrThrottled) && !errors.Is(err, ErrUnavailable) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return !errors.As(err, &cv) && !errors.As(err, &ua) && !errors.As(err, &he) && !errors.As(err, &ci)
}

// delay before retry number n (1 = first retry) after err.
func (c *Client) delay(n int, err error) time.Duration {
	if d, ok := retryAfter(responseHeader(err, "Retry-After"), c.now()); ok {
		return min(d, c.retryAfterCap)
	}
	ceil := c.backoffCap
	if n < 32 {
		ceil = min(c.backoffBase<<(n-1), c.backoffCap)
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
