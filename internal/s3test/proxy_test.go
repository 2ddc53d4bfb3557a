package s3test_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// setupObject creates bucket "bkt" with object "obj" of n random bytes.
func setupObject(t *testing.T, s *s3test.Server, n int) []byte {
	t.Helper()
	data := randomBytes(n)
	if err := s.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObject("bkt", "obj", data); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFaultFailFirstN(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		data := setupObject(t, s, 1000)
		c := newClient(t, s)
		if err := s.Proxy.SetFaults(s3test.Faults{FailFirstN: 1, FailOps: []string{s3test.OpGet}, RetryAfter: "1"}); err != nil {
			t.Fatal(err)
		}
		c.mustDo(200, "GET", "/bkt?list-type=2", nil) // not a GET: untouched
		resp, body := c.mustDo(503, "GET", "/bkt/obj", nil)
		if !strings.Contains(string(body), "<Code>SlowDown</Code>") || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("injected error: Retry-After %q, body %s", resp.Header.Get("Retry-After"), body)
		}
		_, body = c.mustDo(200, "GET", "/bkt/obj", nil)
		if string(body) != string(data) {
			t.Error("body after the fault differs")
		}
		wantCounts(t, s.Proxy.Counts(), map[string]int{"LIST": 1, "GET": 2})
		reqs := s.Proxy.Requests()
		if r := reqs[1]; r.Fault != "fail" || r.Status != 503 {
			t.Errorf("failed request logged as %+v", r)
		}
		if r := reqs[2]; r.Fault != "" || r.Status != 200 {
			t.Errorf("next request logged as %+v", r)
		}

		// 500 on the first two listings; HEAD always fails, without a body.
		if err := s.Proxy.SetFaults(s3test.Faults{FailFirstN: 2, FailOps: []string{s3test.OpList}, Status: 500, FailHEAD: 1}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, body = c.mustDo(500, "GET", "/bkt?list-type=2", nil)
			if !strings.Contains(string(body), "<Code>InternalError</Code>") {
				t.Errorf("500 body %s", body)
			}
		}
		c.mustDo(200, "GET", "/bkt?list-type=2", nil)
		_, body = c.mustDo(500, "HEAD", "/bkt/obj", nil)
		if len(body) != 0 {
			t.Errorf("HEAD error has a body: %q", body)
		}
		c.mustDo(200, "HEAD", "/bkt", nil) // HEADBUCKET is not HEAD
		if err := s.Proxy.SetFaults(s3test.Faults{}); err != nil {
			t.Fatal(err)
		}
		c.mustDo(200, "HEAD", "/bkt/obj", nil)
	})
}

func TestFaultCut(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		data := setupObject(t, s, 200<<10)
		c := newClient(t, s)
		for _, after := range []int64{0, 1000, 100 << 10} {
			if err := s.Proxy.SetFaults(s3test.Faults{CutFirstN: 1, CutAfterBytes: after}); err != nil {
				t.Fatal(err)
			}
			resp, body, err := c.do("GET", "/bkt/obj", nil)
			if err == nil {
				t.Fatalf("cut after %d: no error, got %d bytes", after, len(body))
			}
			if resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) {
				t.Errorf("cut after %d: status %d, length %d", after, resp.StatusCode, resp.ContentLength)
			}
			if int64(len(body)) != after || string(body) != string(data[:after]) {
				t.Errorf("cut after %d: read %d bytes (err %v)", after, len(body), err)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Logf("cut after %d: read error %v", after, err)
			}
			reqs := s.Proxy.Requests()
			if r := reqs[len(reqs)-1]; r.Fault != "cut" || r.Status != 200 {
				t.Errorf("cut request logged as %+v", r)
			}
			_, body = c.mustDo(200, "GET", "/bkt/obj", nil) // only the first is cut
			if string(body) != string(data) {
				t.Errorf("GET after the cut: %d bytes", len(body))
			}
		}
		// A ranged GET is cut too; a 404 GET does not use up the cut.
		if err := s.Proxy.SetFaults(s3test.Faults{CutFirstN: 1, CutAfterBytes: 10}); err != nil {
			t.Fatal(err)
		}
		c.mustDo(404, "GET", "/bkt/missing", nil)
		_, body, err := c.do("GET", "/bkt/obj", nil, "Range", "bytes=100-199")
		if err == nil || len(body) != 10 {
			t.Errorf("ranged cut: %d bytes, err %v", len(body), err)
		}
	})
}

func TestFaultStall(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	c := newClient(t, s)

	// Held until the client gives up.
	if err := s.Proxy.SetFaults(s3test.Faults{StallFirstN: 1, StallOps: []string{s3test.OpList}}); err != nil {
		t.Fatal(err)
	}
	c.mustDo(200, "GET", "/bkt/obj", nil) // not a LIST
	c.http.Timeout = 200 * time.Millisecond
	start := time.Now()
	if _, _, err := c.do("GET", "/bkt?list-type=2", nil); err == nil {
		t.Fatal("stalled request succeeded")
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("stalled request failed after %v", d)
	}
	c.http.Timeout = hang
	c.mustDo(200, "GET", "/bkt?list-type=2", nil)

	// Held for StallFor, then forwarded.
	if err := s.Proxy.SetFaults(s3test.Faults{StallFirstN: 1, StallFor: 150 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	c.mustDo(200, "GET", "/bkt/obj", nil)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("stalled request took only %v", d)
	}
	reqs := s.Proxy.Requests()
	if r := reqs[len(reqs)-1]; r.Fault != "stall" || r.Status != 200 || r.Duration < 150*time.Millisecond {
		t.Errorf("stalled request logged as %+v", r)
	}

	// Going down releases a request stalled forever.
	if err := s.Proxy.SetFaults(s3test.Faults{StallFirstN: 1}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := c.http.Do(c.request("GET", "/bkt/obj", nil))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, func() bool { r := s.Proxy.Requests(); return r[len(r)-1].Fault == "stall" })
	if err := s.Proxy.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if err := within(t, errc, "the stalled request after SetDown(true)"); err == nil {
		t.Error("stalled request succeeded after SetDown(true)")
	}
}

func TestFaultFractionsDeterministic(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	c := newClient(t, s)
	pattern := func() string {
		if err := s.Proxy.SetFaults(s3test.Faults{Seed: 7, FailGET: 0.5}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 40 {
			resp, _, err := c.do("GET", "/bkt/obj", nil)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(map[bool]string{true: "x", false: "."}[resp.StatusCode == 503])
		}
		return b.String()
	}
	p1, p2 := pattern(), pattern()
	if p1 != p2 {
		t.Errorf("same seed, different faults:\n%s\n%s", p1, p2)
	}
	if n := strings.Count(p1, "x"); n < 5 || n > 35 {
		t.Errorf("FailGET 0.5 failed %d of 40: %s", n, p1)
	}
	if err := s.Proxy.SetFaults(s3test.Faults{FailGET: 1.5}); err == nil {
		t.Error("SetFaults accepted a fraction of 1.5")
	}
}

func TestFaultConcurrent(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 1000)
	c := newClient(t, s)
	if err := s.Proxy.SetFaults(s3test.Faults{FailGET: 0.3, CutGETFraction: 0.3, CutAfterBytes: 100}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			resp, _, err := c.do("GET", "/bkt/obj", nil)
			if err == nil && resp.StatusCode != 200 && resp.StatusCode != 503 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Go(func() { _ = s.Proxy.SetFaults(s3test.Faults{FailGET: 0.1}) })
	wg.Wait()
	if n := s.Proxy.Counts()[s3test.OpGet]; n != 50 {
		t.Errorf("counted %d GETs, want 50", n)
	}
}

func TestSetDown(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		setupObject(t, s, 10)
		c := newClient(t, s)
		c.mustDo(200, "GET", "/bkt/obj", nil) // leaves a keep-alive connection in the pool
		url := s.Proxy.URL
		if err := s.Proxy.SetDown(true); err != nil {
			t.Fatal(err)
		}
		if err := s.Proxy.SetDown(true); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, _, err := c.do("GET", "/bkt/obj", nil)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("while down: %v, want connection refused", err)
			}
		}
		if err := s.Proxy.SetDown(false); err != nil {
			t.Fatal(err)
		}
		if s.Proxy.URL != url || s.URL != url {
			t.Errorf("URL changed: %s -> %s", url, s.Proxy.URL)
		}
		c.mustDo(200, "GET", "/bkt/obj", nil)
		wantCounts(t, s.Proxy.Counts(), map[string]int{"GET": 2})
	})
}

func TestProxyClose(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Host-Seen", r.Host)
	}))
	defer backend.Close()
	p, err := s3test.NewProxy(backend.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.URL + "/b/k")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Host-Seen"); got != strings.TrimPrefix(p.URL, "http://") {
		t.Errorf("backend saw Host %q, want the proxy's", got)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.SetDown(false); !errors.Is(err, s3test.ErrProxyClosed) {
		t.Errorf("SetDown after Close: %v", err)
	}
	if _, err := http.Get(p.URL + "/b/k"); err == nil {
		t.Error("closed proxy still answers")
	}
}

// TestVersitySignature shows versitygw checks signatures through the proxy
// (so the proxy keeps the signed Host header intact).
func TestVersitySignature(t *testing.T) {
	s := startVersity(t)
	setupObject(t, s, 10)
	c := newClient(t, s)
	c.mustDo(200, "GET", "/bkt/obj", nil)
	c.secret = "wrong-secret"
	_, body := c.mustDo(403, "GET", "/bkt/obj", nil)
	if !strings.Contains(string(body), "SignatureDoesNotMatch") {
		t.Errorf("bad signature body: %s", body)
	}
}

func TestVersityCloseLeavesNoProcess(t *testing.T) {
	s := startVersity(t)
	pid := s.PID()
	if pid <= 0 {
		t.Fatalf("PID = %d", pid)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("versitygw pid %d not running: %v", pid, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, kill(%d, 0) = %v, want ESRCH", pid, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestVersityRestart restarts versitygw on the same data dir: buckets,
// objects and ETags survive.
func TestVersityRestart(t *testing.T) {
	bin := versityBin(t)
	dir := t.TempDir()
	s1, err := s3test.StartVersity(t.Context(), bin, dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	data := setupObject(t, s1, 100)
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := s3test.StartVersity(t.Context(), bin, dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	resp, body := newClient(t, s2).mustDo(200, "GET", "/bkt/obj", nil)
	if string(body) != string(data) || resp.Header.Get("ETag") != etagOf(data) {
		t.Errorf("after restart: %d bytes, ETag %s", len(body), resp.Header.Get("ETag"))
	}
}

func TestStartVersityBadBinary(t *testing.T) {
	_, err := s3test.StartVersity(t.Context(), "/bin/false", t.TempDir(), nil)
	if err == nil {
		t.Fatal("StartVersity with /bin/false succeeded")
	}
	t.Log(err)
}

func TestFindVersity(t *testing.T) {
	t.Setenv("VERSITYGW", "/nonexistent/versitygw")
	if _, err := s3test.FindVersity(); err == nil {
		t.Error("FindVersity accepted a missing $VERSITYGW")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VERSITYGW", self)
	if got, err := s3test.FindVersity(); err != nil || got != self {
		t.Errorf("FindVersity = %q, %v; want %q", got, err, self)
	}
}

func TestRequestLogRing(t *testing.T) {
	p := bareProxy(t)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	n := s3test.DefaultRequestLogSize + 5
	for i := range n {
		resp, err := client.Head(p.URL + "/b/k" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs := p.Requests()
	if len(reqs) != s3test.DefaultRequestLogSize || reqs[0].Path != "/b/k5" || reqs[len(reqs)-1].Path != "/b/k"+strconv.Itoa(n-1) {
		t.Errorf("log: %d entries, first %+v", len(reqs), reqs[0])
	}
	if got := p.Counts()[s3test.OpHead]; got != n {
		t.Errorf("HEAD count %d, want %d", got, n)
	}
	p.ResetCounts()
	resp, err := client.Head(p.URL + "/b")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if reqs := p.Requests(); len(reqs) != 1 || reqs[0].Op != s3test.OpHeadBucket || reqs[0].Seq != uint64(n+1) {
		t.Errorf("after reset: %+v", reqs)
	}
}
