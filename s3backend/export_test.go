package s3backend

import (
	"context"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// SetSleep replaces the retry sleep so tests never really wait.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }

// Classify exposes classify.
func Classify(err error) error { return classify(err) }

// RetryAfter exposes the Retry-After parser.
func RetryAfter(h string, now time.Time) (time.Duration, bool) { return retryAfter(h, now) }

// Delay exposes the backoff computation.
func Delay(c *Client, n int, err error) time.Duration { return c.delay(n, err) }

// SetClock replaces the retry loop's clock and sleep, so a test can let
// the sleeps advance a fake clock.
func SetClock(c *Client, now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) {
	c.now, c.sleep = now, sleep
}

// SDK exposes the client's SDK client, so that a test can arrange a real
// bucket (put, delete) with the same endpoint, region and credentials,
// out of band of the Store methods under test.
func SDK(c *Client) *s3.Client { return c.s3 }

// DecodeListing exposes decodeListing.
func DecodeListing(page *s3.ListObjectsV2Output) error { return decodeListing(page) }

// Timer is the watchdog's timer.
type Timer = timer

// SetAfterFunc replaces the timers of the GET watchdogs (response and
// idle-body timeouts), so a test can fire them itself.
func SetAfterFunc(c *Client, afterFunc func(d time.Duration, f func()) Timer) {
	c.afterFunc = afterFunc
}

// SetCopyLimits lowers the largest source one CopyObject copies and the
// range of each part of a larger one, so that a test copies in parts
// without gigabytes of data.
func SetCopyLimits(c *Client, limit, part int64) { c.copyLimit, c.copyPartSize = limit, part }

// SignPayloads makes the client sign every body's SHA-256, over HTTPS
// too, as the SDK does by default for other services: the other side of
// BenchmarkPayloadSigning.
func SignPayloads(c *Client) {
	c.s3 = s3.New(c.s3.Options(), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			_, err := st.Finalize.Swap("ComputePayloadHash", &v4.ComputePayloadSHA256{})
			return err
		})
	})
}
