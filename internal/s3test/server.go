// Package s3test runs S3 servers on loopback for the demo and the tests:
// an in-process gofakes3 (StartEmbedded) and a versitygw process serving a
// posix directory (StartVersity). Both come as a *Server with the same
// methods, so one test suite can run against either.
//
// Every server sits behind a Proxy that counts requests by kind and injects
// faults (errors, stalls, cut bodies, outages). Clients use Server.URL (the
// proxy), path-style addressing, and the Server's Region, KeyID and
// SecretKey. The setup methods (CreateBucket, PutObject, DeleteObject,
// LoadDir) bypass the proxy, so they are neither counted nor faulted.
package s3test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Server kinds, the values of Server.Kind.
const (
	KindEmbedded = "embedded"
	KindVersity  = "versitygw"
)

// DefaultRegion is the region of every Server (and of a Signer with no Region).
const DefaultRegion = "us-east-1"

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
	store     store
	closeOnce sync.Once
	closeErr  error // result of the one Close
}

// store is what each kind of server implements behind Server's methods.
type store interface {
	createBucket(ctx context.Context, name string) error
	putObject(ctx context.Context, bucket, key string, data []byte) error
	deleteObject(ctx context.Context, bucket, key string) error
	createUser(ctx context.Context, keyID, secret, role string) error
	pid() int
	close() error
}

// CreateBucket creates a bucket. It fails if the bucket already exists.
func (s *Server) CreateBucket(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.store.createBucket(ctx, name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

// PutObject stores data under bucket/key, replacing any existing object.
// The server computes the ETag (MD5 of data) and Last-Modified.
func (s *Server) PutObject(bucket, key string, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.store.putObject(ctx, bucket, key, data); err != nil {
		return fmt.Errorf("put object %s/%s: %w", bucket, key, err)
	}
	return nil
}

// DeleteObject deletes bucket/key. Deleting a missing key succeeds, as in S3.
func (s *Server) DeleteObject(bucket, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.store.deleteObject(ctx, bucket, key); err != nil {
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

// loadParallel is how many objects LoadDir puts at once.
const loadParallel = 8

// LoadDir puts every regular file under dir into bucket, keyed by its
// slash-separated path relative to dir, several at a time. Symlinks and
// other non-regular files are skipped. The bucket must exist.
func (s *Server) LoadDir(bucket, dir string) error {
	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, loadParallel)
		mu    sync.Mutex // guards first
		first error      // the first failed put
		n     int
	)
	put := func(path, key string) {
		defer func() { <-slots }()
		data, err := os.ReadFile(path)
		if err == nil {
			err = s.PutObject(bucket, key, data)
		}
		if err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		mu.Lock()
		failed := first
		mu.Unlock()
		if failed != nil {
			return failed
		}
		n++
		slots <- struct{}{}
		wg.Go(func() { put(path, filepath.ToSlash(rel)) })
		return nil
	})
	wg.Wait()
	if err == nil {
		err = first
	}
	if err != nil {
		return fmt.Errorf("load dir %s into %s: %w", dir, bucket, err)
	}
	s.logger.Debug("loaded directory", "dir", dir, "bucket", bucket, "objects", n)
	return nil
}

// Signer returns a SigV4 signer with the server's credentials and region.
func (s *Server) Signer() Signer {
	return Signer{KeyID: s.KeyID, SecretKey: s.SecretKey, Region: s.Region}
}

// Sign signs req with the server's credentials; see Signer.Sign.
func (s *Server) Sign(req *http.Request, payloadHash string) error {
	return s.Signer().Sign(req, payloadHash)
}

// PID is the server process's id, or 0 for the embedded server.
func (s *Server) PID() int { return s.store.pid() }

// Close stops the proxy and the server; for versitygw it kills the process
// and waits for it. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		perr := s.Proxy.Close()
		serr := s.store.close()
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
func newServer(kind, backendURL, keyID, secret, dataDir string, st store, logger *slog.Logger) (*Server, error) {
	px, err := NewProxy(backendURL, logger)
	if err != nil {
		return nil, err
	}
	return &Server{
		URL:        px.URL,
		BackendURL: backendURL,
		Region:     DefaultRegion,
		KeyID:      keyID,
		SecretKey:  secret,
		Kind:       kind,
		DataDir:    dataDir,
		Proxy:      px,
		logger:     logger,
		store:      st,
	}, nil
}
