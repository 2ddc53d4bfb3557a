package s3backend

import (
	"log/slog"
	"net/http"
	"time"
)

// Config says where and how to reach a bucket. The zero value of each
// optional field means its documented default.
type Config struct {
	// Endpoint is the S3 endpoint URL, e.g. https://s3.us-west-002.backblazeb2.com. Required.
	Endpoint string
	// Region signs requests (SigV4). Empty: taken from a B2 host
	// s3.<region>.backblazeb2.com, else "us-east-1". B2 rejects a wrong region.
	Region string
	// Bucket is the bucket name. Required.
	Bucket string
	// KeyID and SecretKey are static credentials. Both empty: the SDK's default
	// chain (AWS_PROFILE / shared config, ...), with Profile if set.
	KeyID     string
	SecretKey string
	Profile   string
	// VirtualHostStyle addresses the bucket as <bucket>.<host>; default path style.
	VirtualHostStyle bool
	// MaxAttempts bounds the tries of one request (first try included). Default 5.
	MaxAttempts int
	// RequestTimeout bounds one attempt of a LIST/HEAD and the wait for a GET's
	// response headers. Default 20s.
	RequestTimeout time.Duration
	// ReadIdleTimeout abandons (and resumes) a GET body that delivers no byte
	// for this long. Default 20s.
	ReadIdleTimeout time.Duration
	// Logger receives retries and warnings; never secrets. Default: discard.
	Logger *slog.Logger
	// HTTPClient replaces the default transport (tests). Optional.
	HTTPClient *http.Client
}
