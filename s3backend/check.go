package s3backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Check proves, before anything is mounted, that there are credentials
// (without a key, that the SDK's default chain finds some, else
// ErrNoCredentials), that the endpoint answers, the credentials are
// accepted, the bucket exists and the key may list and read it: one
// ListObjectsV2 (MaxKeys 1, delimiter "/", Prefix prefix) and one HEAD of
// the first object, since B2 keys can have listFiles without readFiles.
// When the top level holds only folders, one more ListObjectsV2 (MaxKeys
// 1, no delimiter) finds an object deeper down to HEAD. All are retried
// like any request on transient failures. Its error reads as one line a
// user understands (and never contains the secret), and still wraps the
// sentinel and the cause for errors.Is/As. Safe for concurrent use.
func (c *Client) Check(ctx context.Context, prefix string) error {
	if c.chain != nil {
		// Without a key of its own, the client signs with what the SDK's
		// chain finds; finding nothing is not the bucket's fault.
		if _, err := c.chain.Retrieve(ctx); err != nil {
			return &checkError{msg: "no key was given, and the AWS SDK found none: " + oneLine(err.Error()),
				err: fmt.Errorf("%w: %w", ErrNoCredentials, err)}
		}
	}
	page, err := c.listPage(ctx, prefix, "", nil, 1)
	if err == nil {
		objs := page.Contents
		if len(objs) == 0 && len(page.CommonPrefixes) > 0 {
			// Folders only: the first object under them, however deep. A
			// failure here is left for the reads, as in checkRead.
			if deep, err := c.listPageDelim(ctx, prefix, "", "", nil, 1); err == nil {
				objs = deep.Contents
			}
		}
		return c.checkRead(ctx, objs)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("check bucket %q: %w", c.bucket, err)
	}
	return &checkError{msg: c.checkMessage(prefix, err), err: err}
}

// checkRead HEADs the first listed object, if any, to catch a key that may
// list but not read. Other failures are left for the reads to report: the
// listing already proved the endpoint and the key.
func (c *Client) checkRead(ctx context.Context, objs []types.Object) error {
	if len(objs) == 0 {
		return nil
	}
	key := aws.ToString(objs[0].Key)
	_, err := c.Stat(ctx, key)
	if errors.Is(err, ErrAccessDenied) {
		return &checkError{err: err, msg: fmt.Sprintf(
			"the key may list but not read bucket %q (it needs readFiles): HEAD %q was denied", c.bucket, key)}
	}
	return nil
}

// checkError is Check's failure: a friendly message over the real error.
type checkError struct {
	msg string
	err error
}

func (e *checkError) Error() string { return e.msg }
func (e *checkError) Unwrap() error { return e.err }

func (c *Client) checkMessage(prefix string, err error) string {
	where := fmt.Sprintf("bucket %q", c.bucket)
	if prefix != "" {
		where = fmt.Sprintf("bucket %q (prefix %q)", c.bucket, prefix)
	}
	status := httpStatus(err)
	switch {
	case errors.Is(err, ErrNoBucket):
		return fmt.Sprintf("bucket %q does not exist (or the key cannot see it) at %s", c.bucket, c.endpoint)
	case apiCode(err) == "AuthorizationHeaderMalformed":
		return fmt.Sprintf("endpoint %s rejected the signing region %q (set the region): %s",
			c.endpoint, c.region, apiMessage(err))
	case errors.Is(err, ErrBadCredentials):
		return "the application key was rejected (check KEY ID and APPLICATION KEY)"
	case errors.Is(err, ErrAccessDenied):
		return fmt.Sprintf("the key may not list %s (it needs listFiles and readFiles)", where)
	case errors.Is(err, ErrThrottled):
		return fmt.Sprintf("endpoint %s keeps throttling requests (%s); try again later", c.endpoint, statusText(status, err))
	case errors.Is(err, ErrUnavailable) && status != 0:
		return fmt.Sprintf("endpoint %s keeps failing (%s); try again later", c.endpoint, statusText(status, err))
	case errors.Is(err, ErrUnavailable):
		return fmt.Sprintf("cannot reach endpoint %s: %s", c.endpoint, netCause(err))
	case status != 0:
		return fmt.Sprintf("checking %s at %s: %s", where, c.endpoint, statusText(status, err))
	}
	return fmt.Sprintf("checking %s at %s: %v", where, c.endpoint, err)
}

// statusText: "503 Service Unavailable (SlowDown: please slow down)".
func statusText(status int, err error) string {
	s := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if code := apiCode(err); code != "" {
		if msg := apiMessage(err); msg != "" && msg != code {
			return fmt.Sprintf("%s (%s: %s)", s, code, msg)
		}
		return fmt.Sprintf("%s (%s)", s, code)
	}
	return s
}

// netCause names the innermost network failure in a few words.
func netCause(err error) string {
	var de *deadlineError
	var te *timeoutError
	var dns *net.DNSError
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.As(err, &de):
		return fmt.Sprintf("%s (gave up after %s)", netCause(de.last), de.after)
	case errors.As(err, &te):
		return te.Error()
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return fmt.Sprintf("unknown host %q", dns.Name)
		}
		return dns.Error()
	case errors.As(err, &errno):
		return errno.Error()
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	cause := err
	for {
		next := errors.Unwrap(cause)
		if next == nil {
			return cause.Error()
		}
		cause = next
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
