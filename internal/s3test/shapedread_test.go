package s3test_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// Uploads are paced like answers. Only lower bounds: load can slow an
// upload down, never speed it up.
func TestShapePacesUploads(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	shape := s3test.Shape{Rate: 8 << 20}
	if err := s.Proxy.SetShape(shape); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s) // a new connection: shaped
	data := randomBytes(2 << 20)
	// 2 MiB at 8 MiB/s is 250 ms; the pacer lets reads run one 256 KiB
	// chunk ahead, and the last read may be a chunk: at least 187 ms.
	start := time.Now()
	c.mustDo(200, "PUT", "/bkt/paced", data)
	if d, min := time.Since(start), 187*time.Millisecond; d < min {
		t.Errorf("a 2 MiB upload at 8 MiB/s took %v, want at least %v", d, min)
	}
	if _, got := c.mustDo(200, "GET", "/bkt/paced", nil); !bytes.Equal(got, data) {
		t.Errorf("the paced upload stored %d bytes", len(got))
	}
	if n := s.Proxy.RequestBytes(); n != int64(len(data)) {
		t.Errorf("RequestBytes = %d, want %d", n, len(data))
	}
}

// A slow upload does not hold up SetDown or Close.
func TestShapedUploadDropsAtOnce(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	if err := s.Proxy.SetShape(s3test.Shape{Rate: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.http.Timeout = 0 // SetDown must end it, not the client
	errc := make(chan error, 1)
	go func() { // 8 MiB at 64 KiB/s takes two minutes
		_, _, err := c.do("PUT", "/bkt/slow", randomBytes(8<<20))
		errc <- err
	}()
	waitFor(t, func() bool { return s.Proxy.RequestBytes() > 0 })
	done := make(chan error, 1)
	go func() { done <- s.Proxy.SetDown(true) }()
	if err := within(t, done, "SetDown with a slow upload"); err != nil {
		t.Fatal(err)
	}
	if err := within(t, errc, "the slow upload after SetDown"); err == nil {
		t.Error("the slow upload completed after SetDown")
	}
}
