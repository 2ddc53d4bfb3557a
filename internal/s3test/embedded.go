package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// StartEmbedded starts an in-memory gofakes3 server on a free port of
// 127.0.0.1, behind a Proxy. gofakes3 does not check signatures; KeyID and
// SecretKey are random anyway so clients sign as they would for a real
// server. gofakes3's own logging goes to logger at debug level; a nil
// logger discards everything.
func StartEmbedded(logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("s3test", KindEmbedded)
	backend := s3mem.New()
	faker := gofakes3.New(backend,
		gofakes3.WithLogger(slogFakeLogger{logger}),
		gofakes3.WithAutoBucket(false),
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	srv := &http.Server{
		Handler:           faker.Server(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	st := &embeddedStore{backend: backend, srv: srv, served: make(chan struct{})}
	go func() {
		defer close(st.served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Debug("gofakes3 serve", "err", err)
		}
	}()
	keyID, secret, err := newCredentials()
	if err != nil {
		_ = st.close()
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	s, err := newServer(KindEmbedded, "http://"+ln.Addr().String(), keyID, secret, "", st, logger)
	if err != nil {
		_ = st.close()
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	logger.Debug("embedded s3 server started", "url", s.URL, "backend", s.BackendURL)
	return s, nil
}

// embeddedStore does the setup operations straight on the s3mem backend.
type embeddedStore struct {
	backend *s3mem.Backend
	srv     *http.Server
	served  chan struct{} // closed when Serve has returned
}

func (e *embeddedStore) createBucket(_ context.Context, name string) error {
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return err
	}
	return e.backend.CreateBucket(name)
}

// putObject stores data with the metadata gofakes3 would record for a
// plain HTTP PUT: Last-Modified (second precision, as served on GET/HEAD)
// and a Content-Type, since gofakes3 serves stored metadata as headers.
func (e *embeddedStore) putObject(_ context.Context, bucket, key string, data []byte) error {
	meta := map[string]string{
		"Last-Modified": time.Now().UTC().Format(http.TimeFormat),
		"Content-Type":  "binary/octet-stream",
	}
	_, err := e.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

func (e *embeddedStore) deleteObject(_ context.Context, bucket, key string) error {
	_, err := e.backend.DeleteObject(bucket, key) // a missing key is no error
	return err
}

func (e *embeddedStore) pid() int { return 0 }

func (e *embeddedStore) close() error {
	err := e.srv.Close()
	<-e.served
	return err
}

// slogFakeLogger routes gofakes3's (chatty) logging to slog at debug level.
type slogFakeLogger struct{ logger *slog.Logger }

func (l slogFakeLogger) Print(level gofakes3.LogLevel, v ...any) {
	l.logger.Debug(fmt.Sprint(v...), "gofakes3_level", string(level))
}
