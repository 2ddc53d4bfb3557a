package s3backend_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// An upload's watchdog follows its body: armed with RequestTimeout until
// the first byte is taken, re-armed with ReadIdleTimeout at every read,
// and with RequestTimeout again for the answer once the body is sent.
func TestUploadTimeoutsFollowTheBody(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.RequestTimeout = 11 * time.Second
		cfg.ReadIdleTimeout = 7 * time.Second
	})
	timers := withManualTimers(c)
	body := content(3 << 20)
	if _, err := c.Put(context.Background(), "k", bytes.NewReader(body), int64(len(body)), s3backend.Meta{}); err != nil {
		t.Fatal(err)
	}
	d := timers.durations()
	if len(d) < 3 || d[0] != 11*time.Second || !slices.Contains(d, 7*time.Second) || d[len(d)-1] != 11*time.Second {
		t.Errorf("watchdog set to %v; want 11s first, 7s while sending and 11s last", d)
	}
}

// stallFirst makes the first n PUTs read some of their body and then
// stall until the client gives up; stalled gets a value at each stall.
func stallFirst(f *fake, n int32, stalled chan<- struct{}) *atomic.Int32 {
	var puts atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodPut || puts.Add(1) > n {
			next.ServeHTTP(w, r)
			return
		}
		_, _ = io.CopyN(io.Discard, r.Body, 64<<10)
		stalled <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
	})
	return &puts
}

// A server that stops taking the body is abandoned once the idle time
// passes and the body is sent again, whole, from its start.
func TestStalledUploadIsSentAgain(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.ReadIdleTimeout = 7 * time.Second })
	timers := withManualTimers(c)
	stalled := make(chan struct{}, 1)
	puts := stallFirst(f, 1, stalled)
	body := content(1 << 20)
	var err error
	noHang(t, "Put", func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = c.Put(context.Background(), "k", bytes.NewReader(body), int64(len(body)), s3backend.Meta{})
		}()
		<-stalled
		timers.fireWhenRunning(t)
		<-done
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, c, "k"); !bytes.Equal(got, body) || puts.Load() != 2 {
		t.Errorf("stored %d bytes after %d PUTs, want the %d sent, in 2", len(got), puts.Load(), len(body))
	}
}

// readBack reads key whole.
func readBack(t *testing.T, c testClient, key string) []byte {
	t.Helper()
	got, err := readAll(t, c, key, "", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A server that keeps stalling fails the upload with ErrUnavailable after
// MaxAttempts, naming the idle timeout.
func TestStalledUploadFails(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.ReadIdleTimeout = 7 * time.Second
		cfg.MaxAttempts = 2
	})
	timers := withManualTimers(c)
	stalled := make(chan struct{}, 2)
	stallFirst(f, 2, stalled)
	big := content(32 << 20) // more than the loopback's socket buffers take in
	var err error
	noHang(t, "Put", func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = c.Put(context.Background(), "k", bytes.NewReader(big), int64(len(big)), s3backend.Meta{})
		}()
		for range 2 {
			<-stalled
			timers.fireWhenRunning(t)
		}
		<-done
	})
	const want = "no progress sending the body within 7s"
	if !errors.Is(err, s3backend.ErrUnavailable) || !strings.Contains(err.Error(), want) ||
		!strings.HasPrefix(err.Error(), `put "k": `) {
		t.Errorf("err %v; want put \"k\": ... ErrUnavailable, %s", err, want)
	}
}

// A body that broke off halfway is sent again from its start, for a
// part as for a PUT; a server that takes every body and then fails still
// runs out of attempts.
func TestUploadRetriesSendTheWholeBody(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.MaxAttempts = 3 })
	var fail atomic.Int32 // PUTs still to fail
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodPut && fail.Add(-1) >= 0 {
			_, _ = io.CopyN(io.Discard, r.Body, r.ContentLength/2)
			s3Error(w, r, http.StatusInternalServerError, "InternalError", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
	ctx := context.Background()
	body := content(2 << 20)
	fail.Store(1)
	if _, err := c.Put(ctx, "k", bytes.NewReader(body), int64(len(body)), s3backend.Meta{}); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, c, "k"); !bytes.Equal(got, body) {
		t.Errorf("PUT stored %d bytes, want the %d sent", len(got), len(body))
	}
	up, err := c.CreateUpload(ctx, "m", s3backend.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(2)
	p, err := c.UploadPart(ctx, up, 1, bytes.NewReader(body), int64(len(body)))
	if err == nil {
		_, err = c.CompleteUpload(ctx, up, []s3backend.Part{p})
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, c, "m"); !bytes.Equal(got, body) {
		t.Errorf("the part stored %d bytes, want the %d sent", len(got), len(body))
	}

	f.reset()
	fail.Store(100)
	_, err = c.Put(ctx, "k", bytes.NewReader(body), int64(len(body)), s3backend.Meta{})
	if !errors.Is(err, s3backend.ErrUnavailable) || f.count(http.MethodPut) != 3 {
		t.Errorf("always failing: %v after %d PUTs; want ErrUnavailable after MaxAttempts 3", err, f.count(http.MethodPut))
	}
}

// An attempt that sent its body for longer than OperationTimeout and
// then failed is retried: the time limit counts from the last progress.
func TestLongUploadThenFailureIsRetried(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.OperationTimeout = 30 * time.Second })
	clk := withFakeClock(c)
	var puts atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodPut && puts.Add(1) == 1 {
			_, _ = io.Copy(io.Discard, r.Body)
			clk.Sleep(context.Background(), time.Minute) // a long upload, on the client's clock
			s3Error(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
	body := content(100_000)
	if _, err := c.Put(context.Background(), "k", bytes.NewReader(body), int64(len(body)), s3backend.Meta{}); err != nil {
		t.Fatalf("Put after a minute of upload and one failure: %v", err)
	}
	if puts.Load() != 2 {
		t.Errorf("%d PUTs, want 2", puts.Load())
	}
}
