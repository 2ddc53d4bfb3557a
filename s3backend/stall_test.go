package s3backend_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestOpenRangeIdleBodyResumes(t *testing.T) {
	f := newFake(t)
	data := content(50_000)
	f.put("f", data)
	c := newClient(t, f.srv.URL, nil)
	timers := withManualTimers(c)

	var gets atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodGet || gets.Add(1) != 1 {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&stallWriter{ResponseWriter: w, left: 10_000, done: r.Context().Done(), stop: f.stop}, r)
	})

	rc, err := c.OpenRange(context.Background(), "f", "", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 10_000)
	if _, err := io.ReadFull(rc, got); err != nil {
		t.Fatal(err)
	}
	// The body stalls now: the next Read waits with its idle watchdog
	// running. Fire it, as ReadIdleTimeout would.
	var rest []byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		rest, err = io.ReadAll(rc)
	}()
	if n := timers.fireWhenRunning(t); n != 1 {
		t.Errorf("%d watchdogs running while the body stalled, want the idle one", n)
	}
	noHang(t, "the read after the idle timeout", func() { <-done })
	rc.Close() // not deferred: a Read still running after a failure must not race it
	if err != nil || !bytes.Equal(append(got, rest...), data) {
		t.Fatalf("got %d+%d bytes, %v", len(got), len(rest), err)
	}
	if reqs := f.requests(); len(reqs) != 2 || reqs[1].Header.Get("Range") != "bytes=10000-" {
		t.Errorf("requests %+v", reqs)
	}
}

// stallWriter passes left bytes, flushes, then blocks until the client goes.
type stallWriter struct {
	http.ResponseWriter
	left int
	done <-chan struct{}
	stop <-chan struct{}
}

func (w *stallWriter) Write(p []byte) (int, error) {
	if len(p) <= w.left {
		n, err := w.ResponseWriter.Write(p)
		w.left -= n
		return n, err
	}
	n, _ := w.ResponseWriter.Write(p[:w.left])
	w.left = 0
	_ = http.NewResponseController(w.ResponseWriter).Flush()
	select {
	case <-w.done:
	case <-w.stop:
	}
	return n, errors.New("stalled")
}

func TestOpenRangeCtxCancelAbortsRead(t *testing.T) {
	f := newFake(t)
	f.put("f", content(50_000))
	c := newClient(t, f.srv.URL, nil)
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(&stallWriter{ResponseWriter: w, left: 1000, done: r.Context().Done(), stop: f.stop}, r)
	})

	ctx, cancel := context.WithCancel(context.Background())
	rc, err := c.OpenRange(ctx, "f", "", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// Most likely the Read below is waiting on the stalled body when the
	// cancel comes; if not, it must fail the same way.
	time.AfterFunc(100*time.Millisecond, cancel)
	noHang(t, "a read of a stalled body after cancel", func() { _, err = io.ReadAll(rc) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests after cancel, want 1", n)
	}
}
