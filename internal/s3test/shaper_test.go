package s3test_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// Only lower bounds on time here: load can delay an answer, never hurry it.
func TestShapeDelaysAndCapsAnswers(t *testing.T) {
	s := startEmbedded(t)
	data := setupObject(t, s, 1<<20)
	shape := s3test.Shape{Latency: 50 * time.Millisecond, Rate: 8 << 20}
	if err := s.Proxy.SetShape(shape); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s) // a new connection: shaped

	// Small answers: each comes at least Latency late, over one connection.
	for range 3 {
		start := time.Now()
		c.mustDo(200, "GET", "/bkt?list-type=2", nil)
		if d := time.Since(start); d < shape.Latency {
			t.Errorf("listing answered in %v, before the %v latency", d, shape.Latency)
		}
	}
	// A 1 MiB body at 8 MiB/s takes at least 1/8 s less one 256 KiB chunk
	// (the pace is set after each chunk): 94 ms.
	start := time.Now()
	_, body := c.mustDo(200, "GET", "/bkt/obj", nil)
	if !bytes.Equal(body, data) {
		t.Fatalf("shaped body differs (%d bytes)", len(body))
	}
	if d, min := time.Since(start), shape.Latency+90*time.Millisecond; d < min {
		t.Errorf("1 MiB at 8 MiB/s took %v, want at least %v", d, min)
	}
	if got := s.Proxy.Counts()[s3test.OpList]; got != 3 {
		t.Errorf("the server saw %d listings, want 3", got)
	}

	// Shaping off: a new connection is not shaped. An hour's latency set
	// before turns "still shaped" into a hang, which the client's timeout
	// (far above any load) catches; no upper bound on a fast answer.
	if err := s.Proxy.SetShape(s3test.Shape{Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := s.Proxy.SetShape(s3test.Shape{}); err != nil {
		t.Fatal(err)
	}
	c = newClient(t, s)
	c.http.Timeout = time.Minute
	if _, body = c.mustDo(200, "GET", "/bkt/obj", nil); !bytes.Equal(body, data) {
		t.Errorf("unshaped body differs (%d bytes)", len(body))
	}
}

func TestShapeRejectsNegative(t *testing.T) {
	s := startEmbedded(t)
	if err := s.Proxy.SetShape(s3test.Shape{Latency: -time.Millisecond}); err == nil {
		t.Error("a negative latency was accepted")
	}
}

// Closing the proxy with shaped connections open, idle or in the middle of
// a slow answer, neither hangs nor leaves them open.
func TestShapedProxyCloses(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 4<<20)
	if err := s.Proxy.SetShape(s3test.Shape{Latency: 10 * time.Millisecond, Rate: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	idle := newClient(t, s)
	idle.mustDo(200, "GET", "/bkt?list-type=2", nil) // leaves an idle keep-alive connection
	s.Proxy.ResetCounts()
	slow := newClient(t, s)
	slow.http.Timeout = 0 // the proxy's Close must end it, not the client
	got := make(chan error, 1)
	go func() { // 4 MiB at 64 KiB/s takes a minute at the least
		_, _, err := slow.do("GET", "/bkt/obj", nil)
		got <- err
	}()
	waitFor(t, func() bool { return s.Proxy.ResponseBytes() > 0 }) // the slow answer is under way

	done := make(chan error, 1)
	go func() { done <- s.Proxy.Close() }()
	if err := within(t, done, "Close with shaped connections"); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := within(t, got, "the slow answer's client after Close"); err == nil {
		t.Error("the slow answer completed after Close")
	}
	if _, _, err := idle.do("GET", "/bkt?list-type=2", nil); err == nil {
		t.Error("the proxy still answers after Close")
	}
}

// SetDown drops shaped connections at once, even with an answer still
// waiting out its latency in the delay line: with an hour's latency,
// waiting it out is a hang.
func TestSetDownDropsShapedAnswersAtOnce(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 1<<20)
	if err := s.Proxy.SetShape(s3test.Shape{Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.http.Timeout = 0 // SetDown must end it, not the client
	got := make(chan error, 1)
	go func() {
		_, _, err := c.do("GET", "/bkt/obj", nil)
		got <- err
	}()
	// The delay line holds at most 512 KiB here, and the copy buffers a
	// few KiB: once 300 KiB were written, most of them wait in the line.
	waitFor(t, func() bool { return s.Proxy.ResponseBytes() >= 300<<10 })
	done := make(chan error, 1)
	go func() { done <- s.Proxy.SetDown(true) }()
	if err := within(t, done, "SetDown with a queued answer"); err != nil {
		t.Fatal(err)
	}
	if err := within(t, got, "the client after SetDown"); err == nil {
		t.Error("the queued answer still arrived after SetDown")
	}
}
