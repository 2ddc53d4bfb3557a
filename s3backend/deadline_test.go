package s3backend_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// fakeClock is a clock that only the recorded sleeps move.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return ctx.Err()
}

func (c *fakeClock) total() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum time.Duration
	for _, d := range c.slept {
		sum += d
	}
	return sum, len(c.slept)
}

func withFakeClock(c testClient) *fakeClock {
	clk := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s3backend.SetClock(c.Client, clk.Now, clk.Sleep)
	return clk
}

func TestOperationTimeoutBoundsRetries(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.MaxAttempts = 1000
		cfg.OperationTimeout = 10 * time.Second
		cfg.BackoffBase = time.Second
		cfg.BackoffMax = 4 * time.Second
	})
	clk := withFakeClock(c)
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", nil)
	})
	_, err := c.List(context.Background(), "p/")
	if !errors.Is(err, s3backend.ErrThrottled) || !strings.Contains(err.Error(), "no success within 10s") {
		t.Fatalf("err %v, want ErrThrottled after the 10s operation timeout", err)
	}
	slept, n := clk.total()
	if slept >= 10*time.Second {
		t.Errorf("slept %s in all, beyond the 10s operation timeout", slept)
	}
	if reqs := len(f.requests()); reqs != n+1 || reqs < 3 {
		t.Errorf("%d requests after %d sleeps, want sleeps+1 and a few retries", reqs, n)
	}
}

func TestRetryAfterBeyondTheDeadlineFailsAtOnce(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil) // OperationTimeout 30s, Retry-After capped at 30s
	clk := withFakeClock(c)
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", map[string]string{"Retry-After": "3600"})
	})
	_, err := c.List(context.Background(), "")
	if !errors.Is(err, s3backend.ErrThrottled) {
		t.Fatalf("err %v, want ErrThrottled", err)
	}
	if _, n := clk.total(); n != 0 || len(f.requests()) != 1 {
		t.Errorf("%d sleeps and %d requests, want none and 1: a 30s wait cannot fit in a 30s operation", n, len(f.requests()))
	}
}

func TestBackoffAndRetryAfterAreConfigurable(t *testing.T) {
	f := newFake(t)
	f.put("k", []byte("x"))
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.MaxAttempts = 8
		cfg.BackoffBase = time.Millisecond
		cfg.BackoffMax = 4 * time.Millisecond
		cfg.RetryAfterMax = 50 * time.Millisecond
	})
	fails := 0
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if fails < 6 {
			fails++
			hdr := map[string]string(nil)
			if fails%2 == 0 {
				hdr = map[string]string{"Retry-After": "1"}
			}
			s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", hdr)
			return
		}
		next.ServeHTTP(w, r)
	})
	if _, err := c.Stat(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	got := c.sleeps.all()
	if len(got) != 6 {
		t.Fatalf("sleeps %v, want 6", got)
	}
	for i, d := range got {
		if i%2 == 1 && d != 50*time.Millisecond {
			t.Errorf("sleep %d after Retry-After: 1 is %s, want the 50ms cap", i, d)
		}
		if i%2 == 0 && (d < 0 || d > 4*time.Millisecond) {
			t.Errorf("backoff %d is %s, want within [0, 4ms]", i, d)
		}
	}
}

// realSleep is the client's own way of waiting, for a test whose bound
// rests on real time passing between attempts.
func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A server that accepts requests and never answers fails every kind of
// request within OperationTimeout, whatever MaxAttempts and the timeouts of
// one attempt say. What shows it is the number of attempts, not a clock:
// each stalled attempt uses up its budget (RequestTimeout, or what is left
// of OperationTimeout), so one operation makes at most
// OperationTimeout/RequestTimeout of them and one more with the rest,
// however loaded the machine; without the operation timeout it would make
// MaxAttempts (1,000), and a stalled body would wait for ReadIdleTimeout
// (an hour).
func TestStalledServerFailsWithinOperationTimeout(t *testing.T) {
	f := newFake(t)
	f.put("k", content(50_000))
	const (
		reqTimeout   = 300 * time.Millisecond
		opTimeout    = time.Second
		attemptBound = int(opTimeout/reqTimeout) + 1
	)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.MaxAttempts = 1000
		cfg.RequestTimeout = reqTimeout
		cfg.ReadIdleTimeout = time.Hour // the operation timeout must cut a stalled body too
		cfg.OperationTimeout = opTimeout
	})
	s3backend.SetSleep(c.Client, realSleep)
	// Until the reader below is open, every GET sends 1,000 bytes and then
	// holds back the rest; from then on every request is held until the
	// client leaves.
	var stallAll atomic.Bool
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodGet && !stallAll.Load() {
			next.ServeHTTP(&stallWriter{ResponseWriter: w, left: 1000, done: r.Context().Done(), stop: f.stop}, r)
			return
		}
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
	})
	rc, err := c.OpenRange(context.Background(), "k", "", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	stallAll.Store(true)
	f.reset()

	ctx := context.Background()
	ops := map[string]func() error{
		"list": func() error { _, err := c.List(ctx, ""); return err },
		"head": func() error { _, err := c.Stat(ctx, "k"); return err },
		"get":  func() error { _, err := c.OpenRange(ctx, "k", "", 0, -1); return err },
		"read": func() error {
			// The open body stalls, and so do its resumes: Read gives up
			// at the deadline, long before ReadIdleTimeout.
			_, err := io.ReadAll(rc)
			return err
		},
	}
	errs := make(map[string]error)
	var mu sync.Mutex // guards errs
	noHang(t, "requests to a stalled server", func() {
		var wg sync.WaitGroup
		for name, call := range ops {
			wg.Go(func() {
				err := call()
				mu.Lock()
				errs[name] = err
				mu.Unlock()
			})
		}
		wg.Wait()
	})
	rc.Close()
	for name, err := range errs {
		if !errors.Is(err, s3backend.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
		// The abandoned attempts are this package's business: the caller,
		// whose ctx is live, must not see a cancellation (the file system
		// would answer EINTR, which programs retry forever).
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v looks like the caller's ctx ended", name, err)
		}
	}
	kinds := map[string]int{}
	for _, r := range f.requests() {
		kinds[r.Kind()]++
	}
	if kinds["LIST"] > attemptBound || kinds["HEAD"] > attemptBound || kinds["GET"] > 2*attemptBound {
		t.Errorf("requests %v; want at most %d LIST, %d HEAD and %d GET (get and the read's resumes)",
			kinds, attemptBound, attemptBound, 2*attemptBound)
	}

	// The one line the CLI prints says what happened.
	noHang(t, "Check of a stalled server", func() { err = c.Check(ctx, "") })
	if want := "cannot reach endpoint " + f.srv.URL + ": no response within "; !strings.HasPrefix(err.Error(), want) ||
		!strings.HasSuffix(err.Error(), "(gave up after 1s)") {
		t.Errorf("Check: %q, want %q... (gave up after 1s)", err, want)
	}
}
