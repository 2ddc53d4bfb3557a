package s3backend_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func TestCheck(t *testing.T) {
	f := newFake(t)
	f.put("photos/a.jpg", []byte("jpg"))
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()

	if err := c.Check(ctx, "photos/"); err != nil {
		t.Fatalf("Check: %v", err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Kind() != "LIST" ||
		!strings.Contains(reqs[0].Query, "max-keys=1") ||
		!strings.Contains(reqs[0].Query, "prefix=photos%2F") ||
		!strings.Contains(reqs[0].Query, "delimiter=%2F") ||
		reqs[1].Kind() != "HEAD" {
		t.Errorf("Check requests %+v, want one LIST max-keys 1 and one HEAD", reqs)
	}

	// A key that may list but not read (B2: listFiles without readFiles).
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodHead {
			s3Error(w, r, 403, "AccessDenied", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
	err := c.Check(ctx, "photos/")
	if !errors.Is(err, s3backend.ErrAccessDenied) || !strings.Contains(err.Error(), "it needs readFiles") {
		t.Errorf("Check with a list-only key: %v", err)
	}
	// Folders only at the top: one more LIST, without a delimiter, finds
	// an object deeper down, and the HEAD of it still catches the key.
	f.reset()
	f.put("albums/2024/june/a.jpg", []byte("jpg"))
	err = c.Check(ctx, "albums/")
	if !errors.Is(err, s3backend.ErrAccessDenied) || !strings.Contains(err.Error(), `HEAD "albums/2024/june/a.jpg" was denied`) {
		t.Errorf("Check with a list-only key of a folders-only prefix: %v", err)
	}
	if reqs := f.requests(); len(reqs) != 3 || reqs[1].Kind() != "LIST" || strings.Contains(reqs[1].Query, "delimiter") || reqs[2].Kind() != "HEAD" {
		t.Errorf("Check of a folders-only prefix sent %+v, want LIST, LIST without delimiter, HEAD", reqs)
	}

	// An empty prefix has nothing to HEAD: one LIST only.
	f.setHook(nil)
	f.reset()
	if err := c.Check(ctx, "empty/"); err != nil || len(f.requests()) != 1 {
		t.Errorf("Check of an empty prefix: %v, %d requests", err, len(f.requests()))
	}

	for _, tc := range []struct {
		name   string
		status int
		code   string
		bucket string
		want   error
		msg    string
	}{
		{"no bucket", 0, "", "nope", s3backend.ErrNoBucket, `bucket "nope" does not exist`},
		{"bad key", 403, "InvalidAccessKeyId", testBucket, s3backend.ErrBadCredentials,
			"the application key was rejected (check KEY ID and APPLICATION KEY)"},
		{"bad secret", 403, "SignatureDoesNotMatch", testBucket, s3backend.ErrBadCredentials,
			"the application key was rejected (check KEY ID and APPLICATION KEY)"},
		{"denied", 403, "AccessDenied", testBucket, s3backend.ErrAccessDenied,
			`the key may not list bucket "bkt" (it needs listFiles and readFiles)`},
		{"throttled", 503, "SlowDown", testBucket, s3backend.ErrThrottled, "keeps throttling requests (503 Service Unavailable (SlowDown"},
		{"down", 500, "InternalError", testBucket, s3backend.ErrUnavailable, "keeps failing (500 Internal Server Error"},
		{"region", 400, "AuthorizationHeaderMalformed", testBucket, s3backend.ErrBadCredentials, `rejected the signing region "us-east-1"`},
	} {
		f.setHook(nil)
		if tc.status != 0 {
			f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				s3Error(w, r, tc.status, tc.code, nil)
			})
		}
		cc := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.Bucket = tc.bucket })
		err := cc.Check(ctx, "")
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.msg) || strings.Contains(msg, "\n") || strings.Contains(msg, testSecret) {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, msg, tc.msg)
		}
	}
}

func TestCheckLogsNoSecret(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, 503, "SlowDown", nil)
	})
	_ = c.Check(context.Background(), "")
	if logs := c.log.String(); logs == "" || strings.Contains(logs, testSecret) {
		t.Errorf("logs empty or leak the secret: %s", logs)
	}
}
