// Package embedded runs a small S3 server inside the process: gofakes3 with
// its in-memory backend, on a free port of 127.0.0.1. It is what
// `b2mount --demo` serves the bundled sample bucket from, and the server
// the tests put behind their fault-injecting proxy (internal/s3test).
//
// It is not a storage service: objects live in memory until Close, and
// gofakes3 does not check signatures (clients sign anyway, with the random
// KeyID and SecretKey, as they would for a real server).
package embedded

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the SigV4 region of every Server.
const Region = "us-east-1"

// Server is a running in-memory S3 server. Its methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL clients use, path-style: http://127.0.0.1:port.
	URL string
	// Region is the region clients sign for, Region.
	Region string
	// KeyID and SecretKey are random credentials for clients to sign with.
	KeyID     string
	SecretKey string

	backend *s3mem.Backend
	srv     *http.Server
	served  chan struct{} // closed when Serve has returned
}

// Start starts a server with no buckets. gofakes3's own logging goes to
// logger at debug level; a nil logger discards it.
func Start(logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	backend := s3mem.New()
	faker := gofakes3.New(backend,
		gofakes3.WithLogger(fakeLogger{logger}),
		gofakes3.WithAutoBucket(false),
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start embedded s3: %w", err)
	}
	s := &Server{
		URL:       "http://" + ln.Addr().String(),
		Region:    Region,
		KeyID:     rand.Text()[:20], // A-Z2-7, like an AWS key id
		SecretKey: rand.Text() + rand.Text(),
		backend:   backend,
		srv: &http.Server{
			Handler:           completeETags(backend, faker.Server()),
			ReadHeaderTimeout: 30 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		},
		served: make(chan struct{}),
	}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Debug("embedded s3 serve", "err", err)
		}
	}()
	logger.Debug("embedded s3 server started", "url", s.URL)
	return s, nil
}

// CreateBucket creates a bucket. It fails if the bucket exists or the name
// is not a valid S3 bucket name.
func (s *Server) CreateBucket(name string) error {
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	if err := s.backend.CreateBucket(name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

// PutObject stores data under bucket/key, replacing any object there, with
// the metadata gofakes3 records for an HTTP PUT: Last-Modified (whole
// seconds, as GET and HEAD serve it) and a Content-Type. The ETag is the
// MD5 of data.
func (s *Server) PutObject(bucket, key string, data []byte) error {
	meta := map[string]string{
		"Last-Modified": time.Now().UTC().Format(http.TimeFormat),
		"Content-Type":  "binary/octet-stream",
	}
	if _, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		return fmt.Errorf("put object %s/%s: %w", bucket, key, err)
	}
	return nil
}

// DeleteObject deletes bucket/key. Deleting a missing key succeeds, as in S3.
func (s *Server) DeleteObject(bucket, key string) error {
	if _, err := s.backend.DeleteObject(bucket, key); err != nil {
		return fmt.Errorf("delete object %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Close stops the server, dropping open connections, and waits until it
// has stopped serving. The objects are gone with it.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.served
	return err
}

// fakeLogger routes gofakes3's (chatty) logging to slog at debug level.
type fakeLogger struct{ logger *slog.Logger }

func (l fakeLogger) Print(level gofakes3.LogLevel, v ...any) {
	l.logger.Debug(fmt.Sprint(v...), "gofakes3_level", string(level))
}
