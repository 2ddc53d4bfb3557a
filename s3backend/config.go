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
	// CredentialsFile and ConfigFile replace the default chain's
	// ~/.aws/credentials and ~/.aws/config (at boot there is no HOME).
	// Empty: the SDK's own choice (AWS_SHARED_CREDENTIALS_FILE,
	// AWS_CONFIG_FILE, else ~/.aws).
	CredentialsFile, ConfigFile string
	// VirtualHostStyle addresses the bucket as <bucket>.<host>; default path style.
	VirtualHostStyle bool
	// MaxAttempts bounds the consecutive failed tries of one operation (first
	// try included). Default 5.
	MaxAttempts int
	// RequestTimeout bounds one attempt of a LIST/HEAD/DELETE and the
	// other calls without a body, the wait for a GET's response headers,
	// and an upload's (PUT, part) wait for its answer once the body is
	// sent. A server-side copy gets longer, by its size (see CopyLimit).
	// Default 20s.
	RequestTimeout time.Duration
	// ReadIdleTimeout abandons (and resumes) a GET body that delivers no
	// byte for this long, and abandons (and sends again) an upload whose
	// body the server stops taking for this long. Default 20s.
	ReadIdleTimeout time.Duration
	// OperationTimeout bounds one operation with all its attempts, backoff
	// and Retry-After waits: a LIST page, a HEAD, a write call, the opening
	// of a GET, and each Read of a GET body until it delivers a byte
	// (resumes included). An upload's attempt that sent part of its body
	// starts the bound afresh when it fails, so a large part on a slow
	// link is never cut for taking long (MaxAttempts still bounds its
	// attempts). When it passes, the operation fails with ErrUnavailable.
	// A wait that would end after it is not started: the operation fails
	// at once. Default 30s.
	OperationTimeout time.Duration
	// BackoffBase and BackoffMax shape the wait before retry n: a random
	// time in [0, min(BackoffBase·2^(n-1), BackoffMax)] ("full jitter").
	// Defaults 200ms and 10s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// RetryAfterMax caps the wait a server asks for with Retry-After, which
	// replaces the backoff when present. Default 30s.
	RetryAfterMax time.Duration
	// ListPageSize is how many entries one LIST page of a listing may hold
	// (MaxKeys), 1 to 1,000. Default 0: the server's own, 1,000 on S3 and
	// B2. Smaller pages cost more requests; tests use them to cross page
	// boundaries with few objects.
	ListPageSize int
	// Logger receives retries and warnings; never secrets. Default: discard.
	Logger *slog.Logger
	// Observer, when set, is told of every request sent and of the object
	// bytes that cross the wire (metrics). Optional.
	Observer Observer
	// HTTPClient replaces the default transport (tests). Optional.
	HTTPClient *http.Client
}
