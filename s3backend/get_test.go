package s3backend_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func content(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func readAll(t *testing.T, c testClient, key, etag string, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := c.OpenRange(context.Background(), key, etag, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestOpenRange(t *testing.T) {
	f := newFake(t)
	data := content(10000)
	f.put("f", data)
	f.put("empty", nil)
	c := newClient(t, f.srv.URL, nil)

	for _, tc := range []struct {
		name   string
		off, n int64
		want   []byte
	}{
		{"start", 0, 100, data[:100]},
		{"middle", 5000, 1000, data[5000:6000]},
		{"to EOF", 9000, -1, data[9000:]},
		{"whole", 0, -1, data},
		{"past end clipped", 9990, 100, data[9990:]},
		{"last byte", 9999, 1, data[9999:]},
		{"at EOF", 10000, 10, nil},
		{"beyond EOF", 20000, -1, nil},
		{"zero length", 10, 0, nil},
	} {
		got, err := readAll(t, c, "f", "", tc.off, tc.n)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got %d bytes, want %d", tc.name, len(got), len(tc.want))
		}
	}

	if got, err := readAll(t, c, "empty", "", 0, -1); err != nil || len(got) != 0 {
		t.Errorf("empty object: %d bytes, %v", len(got), err)
	}

	_, err := readAll(t, c, "missing", "", 0, 10)
	if !errors.Is(err, s3backend.ErrNotExist) || !strings.HasPrefix(err.Error(), `get "missing": `) {
		t.Errorf("missing: %v", err)
	}
}

func TestOpenRangeETag(t *testing.T) {
	f := newFake(t)
	data := content(300)
	f.put("f", data)
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()
	o, err := c.Stat(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}

	f.reset()
	got, err := readAll(t, c, "f", o.ETag, 100, 50)
	if err != nil || !bytes.Equal(got, data[100:150]) {
		t.Fatalf("matching etag: %v", err)
	}
	if im := f.requests()[0].Header.Get("If-Match"); im != o.ETag {
		t.Errorf("If-Match %q, want %q", im, o.ETag)
	}

	f.reset()
	if _, err := readAll(t, c, "f", "", 0, 10); err != nil {
		t.Fatal(err)
	}
	if im := f.requests()[0].Header.Get("If-Match"); im != "" {
		t.Errorf("If-Match %q sent without an etag", im)
	}

	// gofakes3 ignores If-Match on GET: the reader must compare the ETag.
	f.put("f", []byte("a new version"))
	f.reset()
	_, err = c.OpenRange(ctx, "f", o.ETag, 0, 10)
	if !errors.Is(err, s3backend.ErrChanged) {
		t.Fatalf("changed object: %v, want ErrChanged", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("ErrChanged after %d requests, want 1", n)
	}

	// A server that honours If-Match answers 412.
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, http.StatusPreconditionFailed, "PreconditionFailed", nil)
	})
	_, err = c.OpenRange(ctx, "f", o.ETag, 0, 10)
	if !errors.Is(err, s3backend.ErrChanged) {
		t.Fatalf("412: %v, want ErrChanged", err)
	}
}

// cutWriter passes at most left bytes of the body, then fails.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if w.left <= 0 {
		return 0, errors.New("cut")
	}
	short := len(p) > w.left
	if short {
		p = p[:w.left]
	}
	n, err := w.ResponseWriter.Write(p)
	w.left -= n
	if err == nil && short {
		err = errors.New("cut")
	}
	return n, err
}

func TestOpenRangeResumesAfterCut(t *testing.T) {
	f := newFake(t)
	data := content(200_000)
	f.put("big", data)
	c := newClient(t, f.srv.URL, nil)
	o, err := c.Stat(context.Background(), "big")
	if err != nil {
		t.Fatal(err)
	}

	const cut = 70_001
	var gets atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodGet || gets.Add(1) != 1 {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&cutWriter{ResponseWriter: w, left: cut}, r)
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	})
	f.reset()

	got, err := readAll(t, c, "big", o.ETag, 1000, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[1000:]) {
		t.Fatalf("got %d bytes, want %d (content differs)", len(got), len(data)-1000)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if r := reqs[0].Header.Get("Range"); r != "bytes=1000-" {
		t.Errorf("first Range %q", r)
	}
	if r, want := reqs[1].Header.Get("Range"), "bytes=71001-"; r != want {
		t.Errorf("resumed Range %q, want %q", r, want)
	}
	if im := reqs[1].Header.Get("If-Match"); im != o.ETag {
		t.Errorf("resumed If-Match %q, want %q", im, o.ETag)
	}

	// Bounded range, and no etag given: the resume pins the first ETag.
	gets.Store(0)
	f.reset()
	got, err = readAll(t, c, "big", "", 0, 100_000)
	if err != nil || !bytes.Equal(got, data[:100_000]) {
		t.Fatalf("bounded: %d bytes, %v", len(got), err)
	}
	reqs = f.requests()
	if len(reqs) != 2 || reqs[1].Header.Get("Range") != "bytes=70001-99999" ||
		reqs[0].Header.Get("If-Match") != "" || reqs[1].Header.Get("If-Match") != o.ETag {
		t.Errorf("bounded resume requests: %+v", reqs)
	}
}
