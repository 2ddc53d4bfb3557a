package s3backend_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// writeEverything makes every write call once, with an mtime where it
// takes one.
func writeEverything(t *testing.T, c testClient, mt time.Time) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	src, err := c.Put(ctx, "d/src", bytes.NewReader([]byte("source")), 6, s3backend.Meta{MTime: mt})
	must(err)
	up, err := c.CreateUpload(ctx, "d/multi", s3backend.Meta{MTime: mt})
	must(err)
	p, err := c.UploadPart(ctx, up, 1, bytes.NewReader([]byte("one part")), 8)
	must(err)
	_, err = c.CompleteUpload(ctx, up, []s3backend.Part{p})
	must(err)
	up2, err := c.CreateUpload(ctx, "d/aborted", s3backend.Meta{})
	must(err)
	_, err = c.ListUploads(ctx, "d/")
	must(err)
	must(c.AbortUpload(ctx, up2))
	_, _, err = c.Copy(ctx, src, "d/kept", nil)
	must(err)
	listed := src
	listed.Own = false // as a listing shows it: its metadata unknown, read with a HEAD
	_, _, err = c.Copy(ctx, listed, "d/replaced", &s3backend.Meta{MTime: mt})
	must(err)
	_, _, err = c.Copy(ctx, src, "d/renamed.txt", &s3backend.Meta{MTime: mt}) // Own: no HEAD
	must(err)
	must(c.Delete(ctx, "d/kept", ""))
	must(c.DeleteAllVersions(ctx, "d/replaced"))
}

// B2 answers 400 to x-amz-checksum-* and x-amz-sdk-checksum-algorithm
// headers and NotImplemented to a conditional PutObject; no write call
// sends any of them, nor Content-MD5, which B2 does not need (every call
// succeeds without). DeleteObjects, which the SDK always sends with a
// checksum, is never used. The mtime goes up as B2's
// src_last_modified_millis, with the name's Content-Type; a copy pins its
// source and replaces the metadata only when asked, reading the source's
// first (HEAD) unless b2mount wrote it.
func TestWriteHeaders(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	mt := time.Date(2024, 2, 29, 23, 59, 58, 123_999_999, time.UTC)
	writeEverything(t, c, mt)

	kinds := map[string]int{}
	ms := strconv.FormatInt(mt.UnixMilli(), 10)
	for _, r := range f.requests() {
		kind := r.Method + " " + writeKind(r)
		kinds[kind]++
		for name := range r.Header {
			l := strings.ToLower(name)
			if strings.HasPrefix(l, "x-amz-checksum") || strings.HasPrefix(l, "x-amz-sdk-checksum") || l == "content-md5" ||
				((r.Method == http.MethodPut || r.Method == http.MethodPost) && (l == "if-match" || l == "if-none-match")) {
				t.Errorf("%s %s sent header %s: %q", kind, r.Path, name, r.Header[name])
			}
		}
		meta := r.Header.Get("X-Amz-Meta-" + s3backend.MTimeMetaKey)
		directive := r.Header.Get("X-Amz-Metadata-Directive")
		switch {
		case kind == "PUT object" && meta != ms,
			kind == "POST create" && strings.HasSuffix(r.Path, "/d/multi") && meta != ms,
			kind == "PUT copy" && strings.HasSuffix(r.Path, "/d/replaced") && (meta != ms || directive != "REPLACE"),
			kind == "PUT copy" && strings.HasSuffix(r.Path, "/d/renamed.txt") && (meta != ms || directive != "REPLACE" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain")),
			kind == "PUT object" && r.Header.Get("Content-Type") != "application/octet-stream",
			kind == "POST create" && r.Header.Get("Content-Type") != "application/octet-stream",
			kind == "PUT copy" && strings.HasSuffix(r.Path, "/d/kept") && (meta != "" || directive != ""):
			t.Errorf("%s %s: mtime header %q, directive %q; want %s where given", kind, r.Path, meta, directive, ms)
		}
		if kind == "PUT copy" && r.Header.Get("X-Amz-Copy-Source-If-Match") == "" {
			t.Errorf("copy %s sent no x-amz-copy-source-if-match", r.Path)
		}
	}
	want := map[string]int{"HEAD object": 1, "PUT object": 1, "POST create": 2, "PUT part": 1, "POST complete": 1, "GET uploads": 1,
		"DELETE abort": 1, "PUT copy": 3, "DELETE object": 2, "GET versions": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s requests, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
	if kinds["POST delete"] != 0 {
		t.Errorf("DeleteObjects was sent: %v", kinds)
	}
	st, err := c.Stat(context.Background(), "d/src")
	if err != nil || !st.MTime.Equal(mt.Truncate(time.Millisecond)) {
		t.Errorf("Stat = %+v, %v; want MTime %v", st, err, mt.Truncate(time.Millisecond))
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeKind names a write request by its query.
func writeKind(r seen) string {
	q := r.Query
	switch {
	case strings.Contains(q, "uploads") && r.Method == http.MethodPost:
		return "create"
	case strings.Contains(q, "uploads"):
		return "uploads"
	case strings.Contains(q, "versions"):
		return "versions"
	case strings.Contains(q, "delete"):
		return "delete"
	case strings.Contains(q, "partNumber"):
		return "part"
	case strings.Contains(q, "uploadId") && r.Method == http.MethodPost:
		return "complete"
	case strings.Contains(q, "uploadId"):
		return "abort"
	case r.Header.Get("X-Amz-Copy-Source") != "":
		return "copy"
	}
	return "object"
}

// The SDK signs a body's SHA-256 only over plain HTTP: over HTTPS, the
// only way to reach B2, PutObject and UploadPart send UNSIGNED-PAYLOAD
// and never hash the body (see BenchmarkPayloadSigning for the cost).
func TestPayloadUnsignedOverHTTPS(t *testing.T) {
	for _, tls := range []bool{true, false} {
		f := newFakeServer(t, tls)
		c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.HTTPClient = f.srv.Client() })
		body := []byte("payload")
		ctx := context.Background()
		if _, err := c.Put(ctx, "k", bytes.NewReader(body), int64(len(body)), s3backend.Meta{}); err != nil {
			t.Fatal(err)
		}
		up, err := c.CreateUpload(ctx, "m", s3backend.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UploadPart(ctx, up, 1, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
		want := "UNSIGNED-PAYLOAD"
		if !tls {
			want = sha256Hex(body)
		}
		for _, r := range f.requests() {
			if r.Method == http.MethodPut && r.Header.Get("X-Amz-Content-Sha256") != want {
				t.Errorf("TLS %v: %s %s?%s: x-amz-content-sha256 %q, want %q", tls, r.Method, r.Path, r.Query,
					r.Header.Get("X-Amz-Content-Sha256"), want)
			}
		}
	}
}
