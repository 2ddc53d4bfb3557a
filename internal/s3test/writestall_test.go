package s3test_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// Only lower bounds on time here; an unbounded stall is ended by the
// client's timeout or by SetDown, and only a hang crosses `hang`.
func TestFaultStallWrites(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	c := newClient(t, s)
	data := randomBytes(64 << 10)
	setFaults := func(f s3test.Faults) {
		t.Helper()
		if err := s.Proxy.SetFaults(f); err != nil {
			t.Fatal(err)
		}
	}

	// After the body, for a while: the write goes through, late.
	setFaults(s3test.Faults{StallFirstN: 1, StallOps: []string{s3test.OpPut}, StallAt: s3test.StallAfterBody, StallFor: 150 * time.Millisecond})
	s.Proxy.ResetCounts()
	start := time.Now()
	c.mustDo(200, "PUT", "/bkt/late", data)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("stalled PUT answered after %v", d)
	}
	if r := s.Proxy.Requests()[0]; r.Fault != "stall" || r.Status != 200 || s.Proxy.RequestBytes() != int64(len(data)) {
		t.Errorf("stalled PUT logged as %+v, %d bytes read", r, s.Proxy.RequestBytes())
	}

	// Before the answer, for ever: the server did the write, the client
	// never hears of it.
	setFaults(s3test.Faults{StallFirstN: 1, StallOps: []string{s3test.OpPut}, StallAt: s3test.StallBeforeAnswer})
	c.http.Timeout = 300 * time.Millisecond
	if _, _, err := c.do("PUT", "/bkt/unanswered", data); err == nil {
		t.Error("a PUT stalled before its answer was answered")
	}
	c.http.Timeout = hang
	if _, got := c.mustDo(200, "GET", "/bkt/unanswered", nil); !bytes.Equal(got, data) {
		t.Errorf("the unanswered PUT stored %d bytes", len(got))
	}

	// After the body, until the proxy goes down: the client sent it all,
	// the server never sees it.
	setFaults(s3test.Faults{StallFirstN: 1, StallOps: []string{s3test.OpPut}, StallAt: s3test.StallAfterBody})
	s.Proxy.ResetCounts()
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.do("PUT", "/bkt/lost", data)
		errc <- err
	}()
	waitFor(t, func() bool { return s.Proxy.RequestBytes() == int64(len(data)) })
	if err := s.Proxy.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if err := within(t, errc, "the PUT stalled after its body, after SetDown"); err == nil {
		t.Error("the stalled PUT succeeded after SetDown(true)")
	}
	if err := s.Proxy.SetDown(false); err != nil {
		t.Fatal(err)
	}
	c.mustDo(404, "GET", "/bkt/lost", nil)
}

// Before the body (the default), a client that waits for 100 Continue has
// sent none of its body while the request is held.
func TestFaultStallBeforeBody(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	if err := s.Proxy.SetFaults(s3test.Faults{StallFirstN: 1, StallOps: []string{s3test.OpPut}}); err != nil {
		t.Fatal(err)
	}
	s.Proxy.ResetCounts()
	c := newClient(t, s)
	c.http.Transport.(*http.Transport).ExpectContinueTimeout = hang
	const size = 1 << 20
	errc := make(chan error, 1)
	go func() {
		req := c.request("PUT", "/bkt/held", randomBytes(size), "Expect", "100-continue")
		resp, err := c.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, func() bool { r := s.Proxy.Requests(); return len(r) == 1 && r[0].Fault == "stall" })
	if n := s.Proxy.RequestBytes(); n != 0 {
		t.Errorf("the proxy read %d body bytes of a request held before its body", n)
	}
	if err := s.Proxy.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if err := within(t, errc, "the held PUT after SetDown"); err == nil {
		t.Error("the held PUT succeeded after SetDown(true)")
	}
}
