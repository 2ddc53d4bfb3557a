package s3backend_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const (
	testBucket = "bkt"
	testKeyID  = "AKIDTEST"
	testSecret = "s3cr3t-never-shown"
)

// fake is an in-memory S3 server (gofakes3 + s3mem) on 127.0.0.1, with a
// wrapper that records every request and lets a test intercept it.
type fake struct {
	t       *testing.T
	backend *s3mem.Backend
	srv     *httptest.Server
	inner   http.Handler
	stop    chan struct{} // closed at cleanup; stalled handlers give up

	mu   sync.Mutex
	reqs []seen
	hook func(w http.ResponseWriter, r *http.Request, next http.Handler)
}

// seen is one recorded request.
type seen struct {
	Method string
	Path   string
	Query  string
	Header http.Header
}

// Kind is LIST, HEAD or GET (object).
func (s seen) Kind() string {
	switch {
	case s.Method == http.MethodGet && strings.Contains(s.Query, "list-type=2"):
		return "LIST"
	default:
		return s.Method
	}
}

func newFake(t *testing.T) *fake {
	t.Helper()
	return newFakeServer(t, false)
}

// newFakeServer is newFake, serving HTTPS when tls (clients need
// f.srv.Client() to trust it).
func newFakeServer(t *testing.T, tls bool) *fake {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	f := newRecorder(t, gofakes3.New(backend).Server(), tls)
	f.backend = backend
	return f
}

// newRecorder records every request and passes it to inner (a server,
// or a reverse proxy to one).
func newRecorder(t *testing.T, inner http.Handler, tls bool) *fake {
	t.Helper()
	f := &fake{t: t, inner: inner, stop: make(chan struct{})}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	t.Cleanup(func() {
		close(f.stop)
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()})
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(w, r, f.inner)
		return
	}
	f.inner.ServeHTTP(w, r)
}

// setHook intercepts every later request; call next to pass it on.
func (f *fake) setHook(h func(w http.ResponseWriter, r *http.Request, next http.Handler)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fake) count(kind string) int {
	n := 0
	for _, r := range f.requests() {
		if r.Kind() == kind {
			n++
		}
	}
	return n
}

func (f *fake) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

func (f *fake) put(key string, body []byte) {
	f.t.Helper()
	meta := map[string]string{"Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
	if _, err := f.backend.PutObject(testBucket, key, meta, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		f.t.Fatal(err)
	}
}

// sleeps records the delays the client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testClient builds a client for endpoint with recorded sleeps and a debug
// log; mutate adjusts the Config.
type testClient struct {
	*s3backend.Client
	sleeps *sleeps
	log    *syncBuffer
}

func newClient(t *testing.T, endpoint string, mutate func(*s3backend.Config)) testClient {
	t.Helper()
	logBuf := &syncBuffer{}
	cfg := s3backend.Config{
		Endpoint:  endpoint,
		Bucket:    testBucket,
		KeyID:     testKeyID,
		SecretKey: testSecret,
		Logger:    slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := s3backend.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	s3backend.SetSleep(c, s.sleep)
	return testClient{Client: c, sleeps: s, log: logBuf}
}

// s3Error writes an S3 XML error (no body for HEAD, like S3).
func s3Error(w http.ResponseWriter, r *http.Request, status int, code string, hdr map[string]string) {
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<Error><Code>%s</Code><Message>%s from test</Message><RequestId>req-1</RequestId></Error>`, code, code)
}
