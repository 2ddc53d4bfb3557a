package s3backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxAttempts      = 5
	DefaultRequestTimeout   = 20 * time.Second
	DefaultReadIdleTimeout  = 20 * time.Second
	DefaultOperationTimeout = 30 * time.Second
	DefaultBackoffBase      = 200 * time.Millisecond
	DefaultBackoffMax       = 10 * time.Second
	DefaultRetryAfterMax    = 30 * time.Second
)

// maxListPageSize is the most entries S3 and B2 put in one LIST page.
const maxListPageSize = 1000

// Client reads and writes one bucket through the S3 API. It is immutable after New and
// safe for concurrent use by many goroutines; the readers OpenRange returns
// are not (like any io.Reader), but distinct readers are independent.
type Client struct {
	s3       *s3.Client
	bucket   string
	region   string
	endpoint string // normalised Config.Endpoint, for messages

	maxAttempts     int
	requestTimeout  time.Duration
	readIdleTimeout time.Duration
	opTimeout       time.Duration
	backoffBase     time.Duration
	backoffCap      time.Duration
	retryAfterCap   time.Duration
	listPageSize    int32 // MaxKeys of a listing's pages; 0: the server's default
	log             *slog.Logger
	observer        Observer // nil: nobody is told of requests
	// chain is the SDK's default credentials chain, nil with a static key.
	chain aws.CredentialsProvider

	// copyLimit is the largest source one CopyObject copies, and
	// copyPartSize the largest range of a larger one: CopyLimit both;
	// tests lower them to copy in parts without gigabytes of data.
	copyLimit, copyPartSize int64

	// now and sleep are the clock of the retry loop, and afterFunc starts
	// the watchdogs of GETs; tests replace them (export_test.go) so they
	// never really wait.
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
	afterFunc func(d time.Duration, f func()) timer
}

// New validates cfg and builds the SDK client. It sends no request: use
// Check to prove that endpoint, credentials and bucket work.
//
// The SDK is set up the way B2 needs it: BaseEndpoint = cfg.Endpoint,
// path-style addressing unless cfg.VirtualHostStyle, signing region per
// resolveRegion, no SDK retries (this package retries itself), and checksums
// only "when required" (B2 answers 400 to x-amz-checksum-* headers). With
// KeyID/SecretKey the credentials are static; otherwise the SDK's default
// chain is loaded (shared profile cfg.Profile if set, from the files
// cfg.CredentialsFile and cfg.ConfigFile if set), which reads local
// files and the environment but sends nothing.
func New(ctx context.Context, cfg Config) (*Client, error) {
	endpoint, err := normaliseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	bucket := strings.TrimSpace(cfg.Bucket)
	if bucket == "" {
		return nil, errors.New("s3backend: bucket is required")
	}
	if strings.Contains(bucket, "/") {
		return nil, fmt.Errorf("s3backend: bucket name %q must not contain '/'", bucket)
	}
	if cfg.ListPageSize < 0 || cfg.ListPageSize > maxListPageSize {
		return nil, fmt.Errorf("s3backend: list page size %d is not within 1..%d", cfg.ListPageSize, maxListPageSize)
	}
	if (cfg.KeyID == "") != (cfg.SecretKey == "") {
		return nil, errors.New("s3backend: key id and secret key must be given together")
	}

	c := &Client{
		bucket:          bucket,
		region:          resolveRegion(cfg.Region, endpoint),
		endpoint:        endpoint,
		maxAttempts:     orDefault(cfg.MaxAttempts, DefaultMaxAttempts),
		requestTimeout:  orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		readIdleTimeout: orDefault(cfg.ReadIdleTimeout, DefaultReadIdleTimeout),
		opTimeout:       orDefault(cfg.OperationTimeout, DefaultOperationTimeout),
		backoffBase:     orDefault(cfg.BackoffBase, DefaultBackoffBase),
		backoffCap:      orDefault(cfg.BackoffMax, DefaultBackoffMax),
		retryAfterCap:   orDefault(cfg.RetryAfterMax, DefaultRetryAfterMax),
		listPageSize:    int32(cfg.ListPageSize),
		log:             cfg.Logger,
		observer:        cfg.Observer,
		copyLimit:       CopyLimit,
		copyPartSize:    CopyLimit,
		now:             time.Now,
		sleep:           sleepCtx,
		afterFunc:       realAfterFunc,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}

	tune := func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = !cfg.VirtualHostStyle
		o.Region = c.region
		o.Retryer = aws.NopRetryer{}
		o.RetryMaxAttempts = 1
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
		o.ClientLogMode = 0 // never log requests, bodies or signing
		o.Logger = sdkLogger(c.log)
		o.HTTPClient = newHTTPClient()
		if cfg.HTTPClient != nil {
			o.HTTPClient = cfg.HTTPClient
		}
		if c.observer != nil {
			o.APIOptions = append(o.APIOptions, addProbe)
			o.HTTPClient = observedHTTP{inner: o.HTTPClient, obs: c.observer}
		}
	}

	if cfg.KeyID != "" {
		c.s3 = s3.New(s3.Options{
			Credentials: credentials.NewStaticCredentialsProvider(cfg.KeyID, cfg.SecretKey, ""),
		}, tune)
		return c, nil
	}

	opts := []func(*config.LoadOptions) error{
		config.WithRegion(c.region),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithLogger(sdkLogger(c.log)),
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.CredentialsFile != "" {
		opts = append(opts, config.WithSharedCredentialsFiles([]string{cfg.CredentialsFile}))
	}
	if cfg.ConfigFile != "" {
		opts = append(opts, config.WithSharedConfigFiles([]string{cfg.ConfigFile}))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3backend: loading AWS default configuration: %w", err)
	}
	c.s3 = s3.NewFromConfig(awsCfg, tune)
	c.chain = awsCfg.Credentials
	return c, nil
}

// orDefault returns v, or def when v is zero or negative.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Bucket returns the bucket name this client reads.
func (c *Client) Bucket() string { return c.bucket }

// Region returns the SigV4 signing region actually used.
func (c *Client) Region() string { return c.region }

// normaliseEndpoint accepts "https://host[:port][/path]" or a bare host (then
// https is assumed) and drops a trailing slash.
func normaliseEndpoint(raw string) (string, error) {
	ep := strings.TrimSpace(raw)
	if ep == "" {
		return "", errors.New("s3backend: endpoint is required")
	}
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", fmt.Errorf("s3backend: bad endpoint %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("s3backend: endpoint %q: scheme must be http or https", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("s3backend: endpoint %q must be scheme://host[:port]", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// sdkLogger routes whatever the SDK wants to log to l at debug level, so
// nothing the SDK says reaches stderr on its own.
func sdkLogger(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(cls logging.Classification, format string, v ...any) {
		l.Debug(fmt.Sprintf(format, v...), "source", "aws-sdk", "class", string(cls))
	})
}
