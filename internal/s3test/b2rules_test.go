package s3test_test

import (
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

// Every refused request is answered by the proxy, counted and logged, and
// never reaches the server; with the rules off the same request does.
func TestB2RulesRefuseChecksumHeaders(t *testing.T) {
	p, backend := plainProxy(t)
	c := newRawClient(t, p.URL)
	tests := []struct {
		method, target string
		hdr            []string
		named          string // the header the answer names
	}{
		{"PUT", "/b/k", []string{"x-amz-checksum-crc32", "AAAAAA=="}, "x-amz-checksum-crc32"},
		{"PUT", "/b/k", []string{"X-Amz-Checksum-Sha256", "x"}, "x-amz-checksum-sha256"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", []string{"x-amz-sdk-checksum-algorithm", "CRC32"}, "x-amz-sdk-checksum-algorithm"},
		{"POST", "/b/k?uploads", []string{"x-amz-checksum-algorithm", "CRC32"}, "x-amz-checksum-algorithm"},
		{"GET", "/b/k", []string{"x-amz-checksum-mode", "ENABLED"}, "x-amz-checksum-mode"},
		{"PUT", "/b/k", []string{"x-amz-trailer", "x-amz-checksum-crc32", "Content-Encoding", "aws-chunked"}, "x-amz-trailer"},
		{"PUT", "/b/k", []string{"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, "x-amz-content-sha256"},
	}
	for i, tt := range tests {
		status, body := c.put(tt.method, tt.target, []byte("data"), tt.hdr...)
		wantRefusal(t, tt.method+" "+tt.target+" "+tt.hdr[0], status, body, 400, "InvalidArgument",
			"Unsupported header '"+tt.named+"' received for this API call.")
		reqs := p.Requests()
		if r := reqs[len(reqs)-1]; r.Status != 400 || !strings.Contains(r.Refused, "InvalidArgument") || r.Seq != uint64(i+1) {
			t.Errorf("refused request logged as %+v", r)
		}
	}
	if n := backend.hits.Load(); n != 0 {
		t.Errorf("%d refused requests reached the server", n)
	}
	wantCounts(t, p.Counts(), map[string]int{"PUT": 4, "PART": 1, "CREATE": 1, "GET": 1})

	p.SetB2Rules(false)
	if status, body := c.put("PUT", "/b/k", []byte("data"), "x-amz-checksum-crc32", "AAAAAA=="); status != 200 || backend.hits.Load() != 1 {
		t.Errorf("rules off: %d %s, %d at the server", status, body, backend.hits.Load())
	}
	p.SetB2Rules(true)
	c.put("PUT", "/b/k", []byte("data"), "x-amz-checksum-crc32", "AAAAAA==")
	if backend.hits.Load() != 1 {
		t.Error("rules back on: the checksum header reached the server")
	}
}

func TestB2RulesConditionalPut(t *testing.T) {
	p, backend := plainProxy(t)
	c := newRawClient(t, p.URL)
	for _, hdr := range [][]string{{"If-None-Match", "*"}, {"If-Match", `"abc"`}} {
		status, body := c.put("PUT", "/b/k", []byte("x"), hdr...)
		wantRefusal(t, "PUT with "+hdr[0], status, body, 501, "NotImplemented", "implies functionality that is not implemented")
		status, body = c.put("POST", "/b/k?uploadId=u", []byte("<CompleteMultipartUpload/>"), hdr...)
		wantRefusal(t, "Complete with "+hdr[0], status, body, 501, "NotImplemented", "not implemented")
	}
	if n := backend.hits.Load(); n != 0 {
		t.Errorf("%d conditional writes reached the server", n)
	}
	// Reads and copies keep their conditions.
	c.send("GET", "/b/k", nil, 0, "If-Match", `"abc"`)
	c.send("HEAD", "/b/k", nil, 0, "If-None-Match", `"abc"`)
	c.put("PUT", "/b/k2", nil, "X-Amz-Copy-Source", "/b/k", "X-Amz-Copy-Source-If-Match", `"abc"`)
	if n := backend.hits.Load(); n != 3 {
		t.Errorf("%d of 3 conditional reads and copies reached the server", n)
	}
}

func TestB2RulesKeyNames(t *testing.T) {
	p, backend := plainProxy(t)
	c := newRawClient(t, p.URL)
	path := func(key string) string { return (&url.URL{Path: "/b/" + key}).EscapedPath() }
	long := strings.Repeat("a/", 511) + "bc" // 1,024 bytes
	bad := map[string]string{
		"dir/":        "must not end with '/'",
		"a\x01b":      "codes less than 32",
		"tab\there":   "codes less than 32",
		"line\n":      "codes less than 32",
		"del\x7f":     "DEL",
		long + "d":    "at most 1024 bytes",
		"bad\xffutf8": "UTF-8",
	}
	for key, msg := range bad {
		for _, req := range []struct{ method, target, copySource string }{
			{"PUT", path(key), ""},
			{"PUT", path(key), "/b/src"},
			{"POST", path(key) + "?uploads", ""},
			{"PUT", path(key) + "?partNumber=1&uploadId=u", ""},
			{"POST", path(key) + "?uploadId=u", ""},
		} {
			var hdr []string
			if req.copySource != "" {
				hdr = []string{"X-Amz-Copy-Source", req.copySource}
			}
			status, body := c.put(req.method, req.target, nil, hdr...)
			wantRefusal(t, req.method+" "+req.target, status, body, 400, "InvalidRequest", msg)
		}
	}
	if n := backend.hits.Load(); n != 0 {
		t.Errorf("%d writes of bad names reached the server", n)
	}
	good := []string{long, "dir/.bzEmpty", "自由.txt", "sp ace+plus", "a//b", "~!@#$%^&*()"}
	for _, key := range good {
		if status, body := c.put("PUT", path(key), []byte("x")); status != 200 {
			t.Errorf("PUT %q: %d %s", key, status, body)
		}
	}
	// Names are B2's business when they are created, not when they are
	// read or deleted.
	c.send("GET", path("dir/"), nil, 0)
	c.send("DELETE", path("dir/"), nil, 0)
	c.send("DELETE", path("dir/")+"?uploadId=u", nil, 0)
	if n, want := backend.hits.Load(), int64(len(good)+3); n != want {
		t.Errorf("%d requests reached the server, want %d", n, want)
	}
}

func TestB2RulesSizes(t *testing.T) {
	p, backend := plainProxy(t)
	c := newRawClient(t, p.URL)
	// Too large to send: refused on its Content-Length, before the body
	// (the client waits for 100 Continue, which never comes).
	huge := func(target string, size int64) (int, string) {
		return c.send("PUT", target, io.LimitReader(zeros{}, size), size, "Expect", "100-continue")
	}
	status, body := huge("/b/k", s3test.B2MaxPutSize+1)
	wantRefusal(t, "PutObject of 5 GiB + 1", status, body, 400, "EntityTooLarge", "exceeds the maximum allowed size")
	status, body = huge("/b/k?partNumber=1&uploadId=u", s3test.B2MaxPartSize+1)
	wantRefusal(t, "UploadPart of 5 GB + 1", status, body, 400, "EntityTooLarge", "exceeds the maximum allowed size")
	status, body = c.put("PUT", "/b/k?partNumber=1&uploadId=u", nil,
		"X-Amz-Copy-Source", "/b/src", "X-Amz-Copy-Source-Range", "bytes=0-5000000000")
	wantRefusal(t, "UploadPartCopy of 5 GB + 1", status, body, 400, "EntityTooLarge", "exceeds")
	if n := p.RequestBytes(); n != 0 {
		t.Errorf("the proxy read %d body bytes of uploads it refused on their size", n)
	}
	for _, n := range []string{"0", "10001", "-1", "x", ""} {
		status, body = c.put("PUT", "/b/k?partNumber="+n+"&uploadId=u", []byte("x"))
		wantRefusal(t, "part number "+n, status, body, 400, "InvalidArgument", "between 1 and 10000")
	}
	if n := backend.hits.Load(); n != 0 {
		t.Errorf("%d refused requests reached the server", n)
	}
	reqs := p.Requests()
	if r := reqs[0]; r.Op != s3test.OpPut || r.Size != s3test.B2MaxPutSize+1 || r.Status != 400 {
		t.Errorf("the huge PutObject logged as %+v", r)
	}
	for _, n := range []string{"1", "10000"} {
		if status, body = c.put("PUT", "/b/k?partNumber="+n+"&uploadId=u", []byte("x")); status != 200 {
			t.Errorf("part number %s: %d %s", n, status, body)
		}
	}
}

// A body refused without Expect: 100-continue is read (and dropped)
// first, so the client sees the answer rather than a broken connection.
func TestB2RulesRefusalDrainsBody(t *testing.T) {
	p, backend := plainProxy(t)
	c := newRawClient(t, p.URL)
	const size = 8 << 20
	for range 2 { // the second on the same, kept-alive connection
		status, body := c.send("PUT", "/b/k", io.LimitReader(zeros{}, size), size, "x-amz-checksum-crc32", "AAAAAA==")
		wantRefusal(t, "PUT of 8 MiB with a checksum", status, body, 400, "InvalidArgument", "x-amz-checksum-crc32")
	}
	if n := p.RequestBytes(); n != 2*size {
		t.Errorf("the proxy read %d body bytes, want %d", n, 2*size)
	}
	if backend.hits.Load() != 0 {
		t.Error("refused requests reached the server")
	}
	if got := p.Counts()[s3test.OpPut]; got != 2 {
		t.Errorf("%d PUTs counted, want 2", got)
	}
}
