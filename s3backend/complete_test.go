package s3backend_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// relay serves r with next into a recorder and returns the answer, for
// a hook to change before it goes out.
func relay(r *http.Request, next http.Handler) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

// send writes a recorded answer to w, with the headers in set replaced.
func sendRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder, set map[string]string) {
	maps.Copy(w.Header(), rec.Header())
	for k, v := range set {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// A complete whose answer was lost (the server made the object, the
// client saw a 500) is retried and finds the upload gone. One HEAD then
// decides: the object is this upload's when its version id is the upload
// id (B2) or its ETag is the parts' multipart ETag (S3), and the complete
// succeeds; an object that is neither is someone else's, and the error
// stands. An upload that was never completed fails without a HEAD.
func TestRetriedCompleteAfterSuccess(t *testing.T) {
	for _, tc := range []struct {
		name string
		head func(uploadID, etag string) map[string]string // HEAD headers to replace
		ok   bool
	}{
		{"B2 version id", func(id, _ string) map[string]string { return map[string]string{"X-Amz-Version-Id": id} }, true},
		{"S3 multipart ETag", func(_, etag string) map[string]string { return map[string]string{"ETag": etag} }, true},
		{"someone else's object", func(string, string) map[string]string { return nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := newClient(t, f.srv.URL, nil)
			ctx := context.Background()
			up, err := c.CreateUpload(ctx, "k", s3backend.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			data := [][]byte{content(5 << 20), []byte("tail")}
			var parts []s3backend.Part
			for i, d := range data {
				p, err := c.UploadPart(ctx, up, int32(i+1), bytes.NewReader(d), int64(len(d)))
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, p)
			}
			var completes atomic.Int32
			var etag atomic.Value // the complete's ETag, as the server answered it
			f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				switch {
				case r.Method == http.MethodPost && completes.Add(1) == 1:
					var res struct{ ETag string }
					_ = xml.Unmarshal(relay(r, next).Body.Bytes(), &res)
					etag.Store(res.ETag)
					s3Error(w, r, http.StatusInternalServerError, "InternalError", nil)
				case r.Method == http.MethodHead:
					sendRecorded(w, relay(r, next), tc.head(up.ID, etag.Load().(string)))
				default:
					next.ServeHTTP(w, r)
				}
			})
			o, err := c.CompleteUpload(ctx, up, parts)
			if completes.Load() != 2 || f.count(http.MethodHead) != 1 {
				t.Errorf("%d completes and %d HEADs, want 2 and 1", completes.Load(), f.count(http.MethodHead))
			}
			if !tc.ok {
				if !errors.Is(err, s3backend.ErrNotExist) || !strings.HasPrefix(err.Error(), `complete upload of "k": `) {
					t.Errorf("err %v, want complete upload of \"k\": ... ErrNotExist", err)
				}
				return
			}
			if err != nil || o.Key != "k" || o.Size != 5<<20+4 || o.ETag == "" {
				t.Errorf("CompleteUpload = %+v, %v; want the object the first attempt made", o, err)
			}
		})
	}

	f := newFake(t) // never completed: aborted by someone
	c := newClient(t, f.srv.URL, nil)
	up, err := c.CreateUpload(context.Background(), "k", s3backend.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AbortUpload(context.Background(), up); err != nil {
		t.Fatal(err)
	}
	_, err = c.CompleteUpload(context.Background(), up, []s3backend.Part{{N: 1, ETag: `"x"`, Size: 1}})
	if !errors.Is(err, s3backend.ErrNotExist) || f.count(http.MethodHead) != 0 {
		t.Errorf("complete of an aborted upload: %v after %d HEADs; want ErrNotExist, no HEAD", err, f.count(http.MethodHead))
	}
}
