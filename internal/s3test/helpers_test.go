package s3test_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// testLogger logs through t at debug level when -v is given, else discards.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startEmbedded starts an embedded server closed at the end of the test.
func startEmbedded(t *testing.T) *s3test.Server {
	t.Helper()
	s, err := s3test.StartEmbedded(testLogger(t))
	return closedAtEnd(t, s, err)
}

// versityBin finds versitygw, skipping the test if it is missing (failing
// instead when CI=true).
func versityBin(t *testing.T) string {
	t.Helper()
	bin, err := s3test.FindVersity()
	testenv.Require(t, err == nil, fmt.Sprint(err))
	return bin
}

// startVersity starts versitygw on a fresh temp dir, closed at the end.
func startVersity(t *testing.T, opts ...s3test.VersityOption) *s3test.Server {
	t.Helper()
	bin := versityBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	s, err := s3test.StartVersity(ctx, bin, filepath.Join(t.TempDir(), "data"), testLogger(t), opts...)
	return closedAtEnd(t, s, err)
}

// closedAtEnd takes a start's results: it fails the test if the start
// failed, and closes the server when the test ends.
func closedAtEnd(t *testing.T, s *s3test.Server, err error) *s3test.Server {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// hang bounds the waits for what must happen soon: only a hang, never a
// loaded machine, takes this long.
const hang = 30 * time.Second

// waitFor polls cond until it holds, failing the test after hang.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(hang); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in %v", hang)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// within returns what ch delivers, failing the test if nothing comes
// within hang: what names the wait in the message ("Close").
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hang):
		t.Fatalf("%s hangs (nothing in %v)", what, hang)
		panic("unreachable")
	}
}

// bareProxy is a Proxy in front of a server that answers 200 to
// everything, both closed at the end of the test.
func bareProxy(t *testing.T) *s3test.Proxy {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(backend.Close)
	p, err := s3test.NewProxy(backend.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// forEachServer runs fn as a subtest against each kind of server.
func forEachServer(t *testing.T, fn func(t *testing.T, s *s3test.Server)) {
	t.Run(s3test.KindEmbedded, func(t *testing.T) { fn(t, startEmbedded(t)) })
	t.Run(s3test.KindVersity, func(t *testing.T) { fn(t, startVersity(t)) })
}

// client sends signed requests to a server's proxy URL.
type client struct {
	t      *testing.T
	s      *s3test.Server
	http   *http.Client
	base   string
	secret string // overrides the signing secret when set
}

func newClient(t *testing.T, s *s3test.Server) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableCompression = true
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, s: s, http: &http.Client{Transport: tr, Timeout: hang}, base: s.URL}
}

// request builds a signed request; hdr holds extra headers as key, value pairs.
func (c *client) request(method, path string, body []byte, hdr ...string) *http.Request {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	secret := c.s.SecretKey
	if c.secret != "" {
		secret = c.secret
	}
	if err := s3test.SignAs(req, c.s.KeyID, secret, c.s.Region, body); err != nil {
		c.t.Fatal(err)
	}
	return req
}

// do sends a request and reads the whole answer; transport and body read
// errors are returned, not fatal.
func (c *client) do(method, path string, body []byte, hdr ...string) (*http.Response, []byte, error) {
	c.t.Helper()
	resp, err := c.http.Do(c.request(method, path, body, hdr...))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// mustDo is do that fails the test on a transport error or another status.
func (c *client) mustDo(wantStatus int, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	c.t.Helper()
	resp, data, err := c.do(method, path, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, wantStatus, data)
	}
	return resp, data
}

// listResult is the subset of ListObjectsV2's answer the tests look at.
type listResult struct {
	IsTruncated           bool
	KeyCount              int
	NextContinuationToken string
	Contents              []struct {
		Key          string
		ETag         string
		Size         int64
		LastModified string
	}
	CommonPrefixes []struct{ Prefix string }
}

func parseList(t *testing.T, data []byte) listResult {
	t.Helper()
	var r listResult
	if err := xml.Unmarshal(data, &r); err != nil {
		t.Fatalf("list answer: %v: %s", err, data)
	}
	return r
}
