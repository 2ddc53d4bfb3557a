package s3backend_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex // guards reqs
	reqs     []s3backend.Request
	received atomic.Int64
	sent     atomic.Int64
}

func (r *recorder) Request(q s3backend.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q.Duration = 0 // the tests compare the rest
	r.reqs = append(r.reqs, q)
}

func (r *recorder) Received(n int64) { r.received.Add(n) }
func (r *recorder) Sent(n int64)     { r.sent.Add(n) }

// take returns the requests so far and forgets them.
func (r *recorder) take() []s3backend.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// wireCounter counts, at the server, the body bytes every request brought
// and every answer took away.
type wireCounter struct{ in, out atomic.Int64 }

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// serve passes r on to next and counts both bodies.
func (c *wireCounter) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	body, _ := io.ReadAll(r.Body)
	c.in.Add(int64(len(body)))
	r.Body = io.NopCloser(bytes.NewReader(body))
	next.ServeHTTP(countingWriter{w, &c.out}, r)
}

// The Observer hears of every HTTP request the client sends, by its S3
// name, with the status of its answer and whether it was a retry, and of
// exactly the body bytes that crossed the wire both ways.
func TestObserverSeesEveryRequest(t *testing.T) {
	f := newFake(t)
	f.put("d/a", []byte("a"))
	data := content(200_000)
	f.put("big", data)
	rec := &recorder{}
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.Observer = rec })
	ctx := context.Background()
	wire := &wireCounter{}
	var lists atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodGet && r.URL.Query().Has("list-type") && lists.Add(1) <= 2 {
			s3Error(countingWriter{w, &wire.out}, r, http.StatusServiceUnavailable, "SlowDown", nil)
			return
		}
		wire.serve(w, r, next)
	})
	want := func(what string, reqs ...s3backend.Request) {
		t.Helper()
		if got := rec.take(); !slices.Equal(got, reqs) {
			t.Errorf("%s: observed %+v, want %+v", what, got, reqs)
		}
	}

	if _, err := c.List(ctx, "d/"); err != nil {
		t.Fatal(err)
	}
	want("a LIST that succeeds on its third attempt",
		s3backend.Request{Operation: "ListObjectsV2", Status: 503},
		s3backend.Request{Operation: "ListObjectsV2", Status: 503, Retry: true},
		s3backend.Request{Operation: "ListObjectsV2", Status: 200, Retry: true})

	o, err := c.Stat(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(ctx, "nope"); !errors.Is(err, s3backend.ErrNotExist) {
		t.Fatalf("stat of a missing key: %v", err)
	}
	want("a HEAD and a HEAD of a missing key",
		s3backend.Request{Operation: "HeadObject", Status: 200},
		s3backend.Request{Operation: "HeadObject", Status: 404})

	got, err := readAll(t, c, "big", o.ETag, 0, -1)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
	want("a GET", s3backend.Request{Operation: "GetObject", Status: 206})

	if _, err := c.Put(ctx, "up", bytes.NewReader(data[:12_345]), 12_345, s3backend.Meta{}); err != nil {
		t.Fatal(err)
	}
	want("a PUT", s3backend.Request{Operation: "PutObject", Status: 200})

	if got, want := rec.received.Load(), wire.out.Load(); got != want || got < int64(len(data)) {
		t.Errorf("observed %d bytes received, the server sent %d (the object alone is %d)", got, want, len(data))
	}
	// Over plain HTTP the SDK reads a body once more to sign its hash:
	// those reads are not sent, and not counted.
	if got, want := rec.sent.Load(), wire.in.Load(); got != want || got != 12_345 {
		t.Errorf("observed %d bytes sent, the server read %d, want 12345", got, want)
	}
}

// A GET whose body breaks off is resumed by a second request, a retry;
// a request that gets no answer at all has status 0.
func TestObserverSeesResumesAndUnansweredRequests(t *testing.T) {
	f := newFake(t)
	data := content(200_000)
	f.put("big", data)
	rec := &recorder{}
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.Observer = rec })
	var gets atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodGet || gets.Add(1) != 1 {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&cutWriter{ResponseWriter: w, left: 70_001}, r)
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	})
	got, err := readAll(t, c, "big", "", 0, -1)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
	wantGets := []s3backend.Request{{Operation: "GetObject", Status: 206}, {Operation: "GetObject", Status: 206, Retry: true}}
	if got := rec.take(); !slices.Equal(got, wantGets) {
		t.Errorf("observed %+v, want %+v", got, wantGets)
	}
	if got := rec.received.Load(); got != int64(len(data)) {
		t.Errorf("observed %d bytes received, want the %d that arrived", got, len(data))
	}

	url := f.srv.URL
	f.srv.Close()
	down := newClient(t, url, func(cfg *s3backend.Config) { cfg.Observer = rec; cfg.MaxAttempts = 2 })
	if _, err := down.List(context.Background(), ""); !errors.Is(err, s3backend.ErrUnavailable) {
		t.Fatalf("list of a closed server: %v", err)
	}
	wantDown := []s3backend.Request{{Operation: "ListObjectsV2"}, {Operation: "ListObjectsV2", Retry: true}}
	if got := rec.take(); !slices.Equal(got, wantDown) {
		t.Errorf("observed %+v, want %+v", got, wantDown)
	}
}
