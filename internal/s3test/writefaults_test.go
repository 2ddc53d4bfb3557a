package s3test_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

// createUpload starts a multipart upload of bkt/key with a signed request
// and returns its id.
func createUpload(t *testing.T, c *client, key string) string {
	t.Helper()
	_, body := c.mustDo(200, "POST", "/bkt/"+key+"?uploads", nil)
	var r struct{ UploadId string }
	if err := xml.Unmarshal(body, &r); err != nil || r.UploadId == "" {
		t.Fatalf("CreateMultipartUpload answer %s: %v", body, err)
	}
	return r.UploadId
}

func TestFaultFailWrites(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		data := setupObject(t, s, 100)
		c := newClient(t, s)
		id := createUpload(t, c, "big")

		// One failed part, with Retry-After; the retry goes through.
		if err := s.Proxy.SetFaults(s3test.Faults{FailFirstN: 1, FailOps: []string{s3test.OpUploadPart}, RetryAfter: "2"}); err != nil {
			t.Fatal(err)
		}
		part := randomBytes(1000)
		c.mustDo(200, "PUT", "/bkt/obj2", part) // not a part: untouched
		resp, body := c.mustDo(503, "PUT", "/bkt/big?partNumber=1&uploadId="+id, part)
		if !strings.Contains(string(body), "<Code>SlowDown</Code>") || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("failed part: Retry-After %q, %s", resp.Header.Get("Retry-After"), body)
		}
		c.mustDo(200, "PUT", "/bkt/big?partNumber=1&uploadId="+id, part)
		c.mustDo(204, "DELETE", "/bkt/big?uploadId="+id, nil)

		// Every write fails with a 500; reads go on; nothing failed reached
		// the server.
		if err := s.Proxy.SetFaults(s3test.Faults{FailWrite: 1, Status: 500}); err != nil {
			t.Fatal(err)
		}
		s.Proxy.ResetCounts()
		_, body = c.mustDo(500, "PUT", "/bkt/new", []byte("new"))
		if !strings.Contains(string(body), "<Code>InternalError</Code>") {
			t.Errorf("failed PUT: %s", body)
		}
		c.mustDo(500, "DELETE", "/bkt/obj", nil)
		c.mustDo(500, "POST", "/bkt/other?uploads", nil)
		c.mustDo(500, "PUT", "/bkt/copy", nil, "X-Amz-Copy-Source", "/bkt/obj")
		c.mustDo(404, "GET", "/bkt/new", nil)
		c.mustDo(404, "GET", "/bkt/copy", nil)
		if _, got := c.mustDo(200, "GET", "/bkt/obj", nil); !bytes.Equal(got, data) {
			t.Error("the object a failed DELETE named changed")
		}
		wantCounts(t, s.Proxy.Counts(), map[string]int{"PUT": 1, "DELETE": 1, "CREATE": 1, "COPY": 1, "GET": 3})
		for _, r := range s.Proxy.Requests()[:4] {
			if r.Fault != "fail" || r.Status != 500 {
				t.Errorf("failed write logged as %+v", r)
			}
		}

		// FailWriteOps picks the writes.
		if err := s.Proxy.SetFaults(s3test.Faults{FailWrite: 1, FailWriteOps: []string{s3test.OpDelete}}); err != nil {
			t.Fatal(err)
		}
		c.mustDo(200, "PUT", "/bkt/new", []byte("new"))
		c.mustDo(503, "DELETE", "/bkt/new", nil)
		c.mustDo(200, "GET", "/bkt/new", nil)
	})
}

// "30% 503s on writes": the same seed fails the same writes, whatever
// reads come in between.
func TestFaultFailWriteFraction(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	c := newClient(t, s)
	pattern := func(withReads bool) string {
		if err := s.Proxy.SetFaults(s3test.Faults{Seed: 7, FailWrite: 0.3}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 40 {
			if withReads {
				c.mustDo(200, "GET", "/bkt/obj", nil)
			}
			resp, _, err := c.do("PUT", "/bkt/w", []byte("w"))
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(map[bool]string{true: "x", false: "."}[resp.StatusCode == 503])
		}
		return b.String()
	}
	p1, p2 := pattern(false), pattern(true)
	if p1 != p2 {
		t.Errorf("same seed, different faults:\n%s\n%s", p1, p2)
	}
	if n := strings.Count(p1, "x"); n < 3 || n > 25 {
		t.Errorf("FailWrite 0.3 failed %d of 40: %s", n, p1)
	}
	if err := s.Proxy.SetFaults(s3test.Faults{FailWrite: -0.1}); err == nil {
		t.Error("SetFaults accepted a negative FailWrite")
	}
}

// A cut upload: the client's connection breaks mid-body, the server gets
// a truncated request and keeps nothing.
func TestFaultCutUpload(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		setupObject(t, s, 10)
		if err := s.Proxy.SetFaults(s3test.Faults{CutUploadFirstN: 1, CutUploadAfterBytes: 1000}); err != nil {
			t.Fatal(err)
		}
		// A body no longer than the cut passes, and does not use it up.
		c := newClient(t, s)
		c.mustDo(200, "PUT", "/bkt/short", randomBytes(1000))
		s.Proxy.ResetCounts()

		c = newClient(t, s) // a fresh connection: the client does not retry on it
		data := randomBytes(4 << 20)
		if resp, _, err := c.do("PUT", "/bkt/cut", data); err == nil {
			t.Fatalf("cut upload answered %d", resp.StatusCode)
		}
		r := s.Proxy.Requests()[0]
		if r.Fault != "cut" || r.Status != 0 || r.Size != int64(len(data)) {
			t.Errorf("cut upload logged as %+v", r)
		}
		if n := s.Proxy.RequestBytes(); n < 1000 || n >= int64(len(data)) {
			t.Errorf("the proxy read %d bytes of a %d-byte body cut after 1000", n, len(data))
		}
		c = newClient(t, s)
		c.mustDo(404, "GET", "/bkt/cut", nil)
		c.mustDo(200, "PUT", "/bkt/cut", data) // only the first is cut
		if _, got := c.mustDo(200, "GET", "/bkt/cut", nil); !bytes.Equal(got, data) {
			t.Errorf("the upload after the cut: %d bytes", len(got))
		}
	})
}
