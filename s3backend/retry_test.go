package s3backend_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

func TestRetrySlowDownThenSucceeds(t *testing.T) {
	f := newFake(t)
	f.put("d/a", []byte("a"))
	c := newClient(t, f.srv.URL, nil)
	var n atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if n.Add(1) <= 2 {
			s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", map[string]string{"Retry-After": "1"})
			return
		}
		next.ServeHTTP(w, r)
	})

	l, err := c.List(context.Background(), "d/")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Objects) != 1 {
		t.Errorf("objects %+v", l.Objects)
	}
	if got := c.sleeps.all(); len(got) != 2 || got[0] != time.Second || got[1] != time.Second {
		t.Errorf("sleeps %v, want [1s 1s] from Retry-After", got)
	}
	if got := f.count("LIST"); got != 3 {
		t.Errorf("%d LIST requests, want 3", got)
	}
	if !strings.Contains(c.log.String(), "retrying") {
		t.Errorf("retries not logged at debug: %s", c.log.String())
	}
}

func TestAlwaysSlowDownIsThrottled(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.MaxAttempts = 4 })
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", nil)
	})

	_, err := c.List(context.Background(), "p/")
	if !errors.Is(err, s3backend.ErrThrottled) {
		t.Fatalf("err %v, want ErrThrottled", err)
	}
	if errors.Is(err, s3backend.ErrNotExist) {
		t.Error("503 classified as ErrNotExist")
	}
	if !strings.HasPrefix(err.Error(), `list "p/": `) {
		t.Errorf("error not wrapped with op: %v", err)
	}
	if got := len(f.requests()); got != 4 {
		t.Errorf("%d requests, want MaxAttempts=4", got)
	}
	sl := c.sleeps.all()
	if len(sl) != 3 {
		t.Errorf("%d sleeps, want 3", len(sl))
	}
	for i, d := range sl { // full jitter under 200ms * 2^i
		if d < 0 || d > 200*time.Millisecond<<i {
			t.Errorf("sleep %d = %s out of range", i, d)
		}
	}
	// The caller logs the failure once, at the FUSE boundary or as the
	// CLI's one-line error; the backend only notes it at debug.
	if !strings.Contains(c.log.String(), "giving up") || strings.Contains(c.log.String(), "level=WARN") {
		t.Errorf("give-up should be logged at debug only:\n%s", c.log.String())
	}

	// 429 is throttling too.
	f.reset()
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, http.StatusTooManyRequests, "TooManyRequests", nil)
	})
	if _, err := c.List(context.Background(), ""); !errors.Is(err, s3backend.ErrThrottled) || len(f.requests()) != 4 {
		t.Errorf("429: %v after %d requests", err, len(f.requests()))
	}
}

func TestServerErrorsAreUnavailable(t *testing.T) {
	f := newFake(t)
	f.put("k", []byte("x"))
	c := newClient(t, f.srv.URL, nil)
	for _, status := range []int{500, 502, 503, 504} {
		f.reset()
		f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			s3Error(w, r, status, "InternalError", nil)
		})
		_, err := c.Stat(context.Background(), "k") // HEAD: no body, status only
		if !errors.Is(err, s3backend.ErrUnavailable) || errors.Is(err, s3backend.ErrNotExist) {
			t.Errorf("HEAD %d: %v, want ErrUnavailable", status, err)
		}
		if n := len(f.requests()); n != s3backend.DefaultMaxAttempts {
			t.Errorf("HEAD %d: %d requests, want %d", status, n, s3backend.DefaultMaxAttempts)
		}
	}
}

func TestClientErrorsNotRetried(t *testing.T) {
	f := newFake(t)
	f.put("k", []byte("x"))
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		status int
		code   string
		want   error
		call   func() error
	}{
		{404, "NoSuchKey", s3backend.ErrNotExist, func() error { _, err := c.OpenRange(ctx, "k", "", 0, 1); return err }},
		{404, "", s3backend.ErrNotExist, func() error { _, err := c.Stat(ctx, "k"); return err }},
		{403, "AccessDenied", s3backend.ErrAccessDenied, func() error { _, err := c.List(ctx, ""); return err }},
		{403, "", s3backend.ErrAccessDenied, func() error { _, err := c.Stat(ctx, "k"); return err }},
		{403, "InvalidAccessKeyId", s3backend.ErrBadCredentials, func() error { _, err := c.List(ctx, ""); return err }},
		{403, "SignatureDoesNotMatch", s3backend.ErrBadCredentials, func() error { _, err := c.List(ctx, ""); return err }},
		{401, "Unauthorized", s3backend.ErrBadCredentials, func() error { _, err := c.List(ctx, ""); return err }},
		{404, "NoSuchBucket", s3backend.ErrNoBucket, func() error { _, err := c.List(ctx, ""); return err }},
		{412, "PreconditionFailed", s3backend.ErrChanged, func() error { _, err := c.OpenRange(ctx, "k", `"x"`, 0, 1); return err }},
		{400, "InvalidArgument", nil, func() error { _, err := c.List(ctx, ""); return err }},
		{400, "NoSuchUpload", s3backend.ErrNotExist, func() error {
			_, err := c.CompleteUpload(ctx, s3backend.Upload{Key: "k", ID: "u"}, []s3backend.Part{{N: 1, ETag: `"e"`}})
			return err
		}},
		{400, "NoSuchVersion", s3backend.ErrNotExist, func() error { _, err := c.List(ctx, ""); return err }},
		{501, "NotImplemented", nil, func() error {
			_, err := c.Put(ctx, "k", strings.NewReader("x"), 1, s3backend.Meta{})
			return err
		}},
	} {
		f.reset()
		f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			s3Error(w, r, tc.status, tc.code, nil)
		})
		err := tc.call()
		if err == nil {
			t.Errorf("%d %s: no error", tc.status, tc.code)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%d %s: %v, want %v", tc.status, tc.code, err, tc.want)
		}
		if errors.Is(err, s3backend.ErrUnavailable) || errors.Is(err, s3backend.ErrThrottled) {
			t.Errorf("%d %s: classified transient: %v", tc.status, tc.code, err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d %s: %d requests, want 1 (no retry)", tc.status, tc.code, n)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestStalledRequestTimesOut(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.RequestTimeout = 50 * time.Millisecond
		cfg.MaxAttempts = 3
	})
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
	})
	// Each attempt gives up at RequestTimeout and the next follows a
	// backoff: MaxAttempts attempts, one sleep fewer. (The sleeps are
	// counted, not the requests: on a loaded machine an attempt may give
	// up before its request reaches the server.)
	var err error
	noHang(t, "a LIST of a stalled server", func() { _, err = c.List(context.Background(), "") })
	if !errors.Is(err, s3backend.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	if n, reqs := len(c.sleeps.all()), len(f.requests()); n != 2 || reqs > 3 {
		t.Errorf("%d sleeps and %d requests, want 2 and at most 3", n, reqs)
	}

	// GET: RequestTimeout bounds the wait for headers.
	f.reset()
	noHang(t, "a GET of a stalled server", func() { _, err = c.OpenRange(context.Background(), "k", "", 0, 1) })
	if n, reqs := len(c.sleeps.all()), len(f.requests()); !errors.Is(err, s3backend.ErrUnavailable) || n != 4 || reqs > 3 {
		t.Errorf("GET: %v after %d sleeps in all and %d requests", err, n, reqs)
	}
}

func TestCtxCancelStopsRetries(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		cancel() // the caller gives up while its request is at the server
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
	})
	var err error
	noHang(t, "a HEAD cancelled at the server", func() { _, err = c.Stat(ctx, "k") })
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), `head "k": `) {
		t.Fatalf("err %v, want wrapped context.Canceled", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	// Already cancelled: no request at all is fine, one at most.
	f.reset()
	if _, err := c.List(ctx, ""); !errors.Is(err, context.Canceled) || len(f.requests()) > 1 {
		t.Errorf("cancelled ctx: %v after %d requests", err, len(f.requests()))
	}
}

func TestConnectionRefused(t *testing.T) {
	f := newFake(t)
	url := f.srv.URL
	f.srv.Close()
	c := newClient(t, url, nil)

	_, err := c.List(context.Background(), "x/")
	if !errors.Is(err, s3backend.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	if n := len(c.sleeps.all()); n != s3backend.DefaultMaxAttempts-1 {
		t.Errorf("%d retries, want %d", n, s3backend.DefaultMaxAttempts-1)
	}

	err = c.Check(context.Background(), "")
	if !errors.Is(err, s3backend.ErrUnavailable) {
		t.Fatalf("Check: %v", err)
	}
	want := "cannot reach endpoint " + url + ": connection refused"
	if err.Error() != want {
		t.Errorf("Check message %q, want %q", err, want)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second, true},
	} {
		got, ok := s3backend.RetryAfter(tc.h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %s %v, want %s %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.MaxAttempts = 2
		cfg.OperationTimeout = time.Minute // room for the capped wait
	})
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", map[string]string{"Retry-After": "3600"})
	})
	_, _ = c.List(context.Background(), "")
	if got := c.sleeps.all(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("sleeps %v, want [30s]", got)
	}
}
