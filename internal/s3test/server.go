// Package s3test runs S3 servers on loopback for the tests and the
// benchmarks: an in-process gofakes3 (StartEmbedded, the demo's server of
// package embedded) and a versitygw process serving a posix directory
// (StartVersity). Both come as a *Server with the same
// methods, so one test suite can run against either.
//
// Every server sits behind a Proxy that counts requests by kind, refuses
// what B2 refuses for writes (Proxy.SetB2Rules, on by default: checksum
// headers, conditional PutObject, bad file names, parts under 5 MB), shapes
// traffic like a distant server's (Proxy.SetShape) and injects faults
// (errors, stalls, cut bodies in either direction, outages). Clients use
// Server.URL (the proxy), path-style addressing, and the Server's Region,
// KeyID and SecretKey. The setup methods (CreateBucket, PutObject,
// DeleteObject, LoadDir, CreateUser) go through the AWS SDK to BackendURL,
// bypassing the proxy, so they are neither counted, judged nor faulted.
package s3test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/b2mount/b2mount/embedded"
)

// Server kinds, the values of Server.Kind.
const (
	KindEmbedded = "embedded"
	KindVersity  = "versitygw"
)

// DefaultRegion is the region of every Server.
const DefaultRegion = embedded.Region

// opTimeout bounds each setup operation (CreateBucket, PutObject, ...).
const opTimeout = 30 * time.Second

// Server is a running S3 server on loopback with a Proxy in front of it.
type Server struct {
	// URL is the endpoint clients should use: the proxy's base URL.
	URL string
	// BackendURL is the server's own base URL, bypassing the proxy: not
	// counted, never faulted.
	BackendURL string
	// Region is the SigV4 region, DefaultRegion.
	Region string
	// KeyID and SecretKey are the credentials. gofakes3 accepts any
	// signature (or none); versitygw checks them.
	KeyID     string
	SecretKey string
	// Kind is KindEmbedded or KindVersity.
	Kind string
	// DataDir is the posix directory versitygw serves; "" when embedded.
	DataDir string
	// Proxy is the counting, fault-injecting proxy at URL.
	Proxy *Proxy

	logger    *slog.Logger
	api       *setupClient // the setup operations, on BackendURL
	store     store
	closeOnce sync.Once
	closeErr  error // result of the one Close
}

// store is what each kind of server implements behind Server's methods.
type store interface {
	createUser(ctx context.Context, keyID, secret, role string) error
	pid() int
	close() error
}

// CreateBucket creates a bucket. It fails if the bucket already exists.
func (s *Server) CreateBucket(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.api.createBucket(ctx, name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

// PutObject stores data under bucket/key, replacing any existing object.
// The server computes the ETag (MD5 of data) and Last-Modified.
func (s *Server) PutObject(bucket, key string, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.api.putObject(ctx, bucket, key, data); err != nil {
		return fmt.Errorf("put object %s/%s: %w", bucket, key, err)
	}
	return nil
}

// DeleteObject deletes bucket/key. Deleting a missing key succeeds, as in S3.
func (s *Server) DeleteObject(bucket, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.api.deleteObject(ctx, bucket, key); err != nil {
		return fmt.Errorf("delete object %s/%s: %w", bucket, key, err)
	}
	return nil
}

// CreateUser adds a key with the given role (RoleUser, ...) that owns no
// bucket. Only versitygw started WithIAM has users; other servers fail.
func (s *Server) CreateUser(keyID, secret, role string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.store.createUser(ctx, keyID, secret, role); err != nil {
		return fmt.Errorf("create user %q: %w", keyID, err)
	}
	return nil
}

// LoadDir puts every regular file under dir into bucket, keyed by its
// slash-separated path relative to dir, several at a time (embedded.LoadFS).
// Symlinks and other non-regular files are skipped. The bucket must exist.
func (s *Server) LoadDir(bucket, dir string) error {
	put := func(ctx context.Context, key string, data []byte) error {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		return s.api.putObject(ctx, bucket, key, data)
	}
	if err := embedded.LoadFS(context.Background(), os.DirFS(dir), put); err != nil {
		return fmt.Errorf("load dir %s into %s: %w", dir, bucket, err)
	}
	s.logger.Debug("loaded directory", "dir", dir, "bucket", bucket)
	return nil
}

// Sign signs req with the server's key; see SignAs.
func (s *Server) Sign(req *http.Request, body []byte) error {
	return SignAs(req, s.KeyID, s.SecretKey, s.Region, body)
}

// PID is the server process's id, or 0 for the embedded server.
func (s *Server) PID() int { return s.store.pid() }

// Close stops the proxy and the server; for versitygw it kills the process
// and waits for it. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		perr := s.Proxy.Close()
		serr := s.store.close()
		s.api.close()
		switch {
		case serr != nil:
			s.closeErr = fmt.Errorf("close %s server: %w", s.Kind, serr)
		case perr != nil:
			s.closeErr = fmt.Errorf("close %s proxy: %w", s.Kind, perr)
		}
	})
	return s.closeErr
}

// newServer wraps a started store in a Server with a proxy in front.
func newServer(kind, dataDir string, api *setupClient, st store, logger *slog.Logger) (*Server, error) {
	px, err := NewProxy(api.base, logger)
	if err != nil {
		return nil, err
	}
	return &Server{
		URL:        px.URL,
		BackendURL: api.base,
		Region:     DefaultRegion,
		KeyID:      api.keyID,
		SecretKey:  api.secret,
		Kind:       kind,
		DataDir:    dataDir,
		Proxy:      px,
		logger:     logger,
		api:        api,
		store:      st,
	}, nil
}
