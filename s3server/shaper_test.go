package s3server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3server"
)

func TestShaperDelaysAndCapsAnswers(t *testing.T) {
	s := startEmbedded(t)
	data := setupObject(t, s, 1<<20)
	shape := s3server.Shape{Latency: 50 * time.Millisecond, Rate: 8 << 20}
	sh, err := s3server.NewShaper(s.URL, shape, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if !strings.HasPrefix(sh.URL, "http://127.0.0.1:") {
		t.Fatalf("shaper URL %q is not on loopback", sh.URL)
	}
	c := newClient(t, s)
	c.base = sh.URL // signed for the shaper's address, which it passes through

	// Small answers: each comes at least Latency late, over one connection.
	for range 3 {
		start := time.Now()
		c.mustDo(200, "GET", "/bkt?list-type=2", nil)
		if d := time.Since(start); d < shape.Latency {
			t.Errorf("listing answered in %v, before the %v latency", d, shape.Latency)
		}
	}
	// A 1 MiB body at 8 MiB/s takes at least 1/8 s less one chunk of slack.
	start := time.Now()
	_, body := c.mustDo(200, "GET", "/bkt/obj", nil)
	if !bytes.Equal(body, data) {
		t.Fatalf("body through the shaper differs (%d bytes)", len(body))
	}
	if d, min := time.Since(start), shape.Latency+100*time.Millisecond; d < min {
		t.Errorf("1 MiB at 8 MiB/s took %v, want at least %v", d, min)
	}
	if got := s.Proxy.Counts()[s3server.OpList]; got != 3 {
		t.Errorf("the server saw %d listings, want 3", got)
	}
}

func TestShaperCloseDropsConnections(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	sh, err := s3server.NewShaper(s.URL, s3server.Shape{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.base = sh.URL
	c.mustDo(200, "GET", "/bkt/obj", nil) // leaves an idle keep-alive connection
	done := make(chan error, 1)
	go func() { done <- sh.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on an idle connection")
	}
	req, err := http.NewRequest("GET", sh.URL+"/bkt/obj", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Error("the shaper still answers after Close")
	}
}
