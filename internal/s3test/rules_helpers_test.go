package s3test_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

// plainBackend is a server that answers 200 to everything after reading
// the whole request body, and counts what reached it.
type plainBackend struct {
	hits  atomic.Int64 // requests that reached it
	bytes atomic.Int64 // request body bytes it read
}

// plainProxy is a Proxy (B2's rules on, as by default) in front of a
// plainBackend, both closed at the end of the test.
func plainProxy(t *testing.T) (*s3test.Proxy, *plainBackend) {
	t.Helper()
	b := &plainBackend{}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		n, _ := io.Copy(io.Discard, r.Body)
		b.bytes.Add(n)
		w.Header().Set("ETag", `"etag"`)
	}))
	t.Cleanup(backend.Close)
	p, err := s3test.NewProxy(backend.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, b
}

// rawClient sends unsigned requests (the plain backend checks nothing).
type rawClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newRawClient(t *testing.T, base string) *rawClient {
	tr := &http.Transport{ExpectContinueTimeout: hang}
	t.Cleanup(tr.CloseIdleConnections)
	return &rawClient{t: t, base: base, http: &http.Client{Transport: tr, Timeout: hang}}
}

// send sends method target with body (size bytes, -1 unknown; a nil body
// is none) and hdr as key, value pairs; it returns the status and the
// answer's body.
func (c *rawClient) send(method, target string, body io.Reader, size int64, hdr ...string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+target, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = size
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// put sends method target with data as its body.
func (c *rawClient) put(method, target string, data []byte, hdr ...string) (int, string) {
	c.t.Helper()
	return c.send(method, target, bytes.NewReader(data), int64(len(data)), hdr...)
}

// wantRefusal checks an answer against B2's: status, and an XML error
// body with the S3 code and a message that holds msg.
func wantRefusal(t *testing.T, what string, status int, body string, wantStatus int, code, msg string) {
	t.Helper()
	var e struct{ Code, Message string }
	err := xml.Unmarshal([]byte(body), &e)
	if status != wantStatus || err != nil || e.Code != code || !strings.Contains(e.Message, msg) {
		t.Errorf("%s: %d %s (%v), want %d %s with %q", what, status, body, err, wantStatus, code, msg)
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
