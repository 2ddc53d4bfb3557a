package s3backend_test

import (
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// A reader whose GET broke off resumes with If-Match; when the object was
// deleted meanwhile, the resume's 404 fails the Read with ErrChanged, as a
// replaced object does, and never with ErrNotExist: an open file has no
// path to be missing. This holds whether the ETag was given or pinned
// from the first answer.
func TestResumeAfterDeleteIsChanged(t *testing.T) {
	f := newFake(t)
	data := content(100_000)
	c := newClient(t, f.srv.URL, nil)
	for _, given := range []bool{true, false} {
		f.put("k", data)
		etag := ""
		if given {
			o, err := c.Stat(context.Background(), "k")
			if err != nil {
				t.Fatal(err)
			}
			etag = o.ETag
		}
		var gets atomic.Int32
		f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.Method != http.MethodGet || gets.Add(1) != 1 {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(&cutWriter{ResponseWriter: w, left: 30_000}, r)
			_ = http.NewResponseController(w).Flush()
			if _, err := f.backend.DeleteObject(testBucket, "k"); err != nil {
				t.Error(err)
			}
			panic(http.ErrAbortHandler) // the body breaks off after the delete
		})
		rc, err := c.OpenRange(context.Background(), "k", etag, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if !errors.Is(err, s3backend.ErrChanged) || errors.Is(err, iofs.ErrNotExist) {
			t.Errorf("etag given %v: read %d bytes, then %v; want ErrChanged, not ErrNotExist", given, len(got), err)
		}
		if len(got) != 30_000 || gets.Load() != 2 {
			t.Errorf("etag given %v: %d bytes in %d GETs, want the 30,000 before the cut and one resume", given, len(got), gets.Load())
		}
	}
}

// The ETag a caller pins with may lack its quotes (some tools strip
// them); If-Match always carries it quoted, as RFC 9110 wants and as
// servers compare it.
func TestIfMatchIsQuoted(t *testing.T) {
	f := newFake(t)
	f.put("k", []byte("data"))
	c := newClient(t, f.srv.URL, nil)
	o, err := c.Stat(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	bare := strings.Trim(o.ETag, `"`)
	for _, etag := range []string{bare, o.ETag, "W/" + o.ETag} {
		f.reset()
		got, err := readAll(t, c, "k", etag, 0, -1)
		if err != nil || string(got) != "data" {
			t.Errorf("pinned to %s: %q, %v", etag, got, err)
		}
		if im := f.requests()[0].Header.Get("If-Match"); im != `"`+bare+`"` {
			t.Errorf("pinned to %s: If-Match %s, want %q", etag, im, `"`+bare+`"`)
		}
	}
}
