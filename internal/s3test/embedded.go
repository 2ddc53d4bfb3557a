package s3test

import (
	"fmt"
	"log/slog"

	"github.com/b2mount/b2mount/embedded"
)

// StartEmbedded starts the demo's in-memory S3 server (package embedded,
// gofakes3) on a free port of 127.0.0.1, behind a Proxy. gofakes3 does not
// check signatures; KeyID and SecretKey are random anyway so clients sign
// as they would for a real server. gofakes3's own logging goes to logger
// at debug level; a nil logger discards everything.
func StartEmbedded(logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("s3test", KindEmbedded)
	srv, err := embedded.Start(logger)
	if err != nil {
		return nil, err
	}
	s, err := newServer(KindEmbedded, "", newSetupClient(srv.URL, srv.KeyID, srv.SecretKey), embeddedStore{srv}, logger)
	if err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("start embedded: %w", err)
	}
	logger.Debug("embedded s3 server behind a proxy", "url", s.URL, "backend", s.BackendURL)
	return s, nil
}

// embeddedStore is a running embedded server.
type embeddedStore struct{ srv *embedded.Server }

func (e embeddedStore) pid() int     { return 0 }
func (e embeddedStore) close() error { return e.srv.Close() }
