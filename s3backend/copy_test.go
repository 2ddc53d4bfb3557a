package s3backend_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// versityRecorder is a client of a bucket on versitygw (which implements
// UploadPartCopy, unlike gofakes3) through a recorder of every request.
func versityRecorder(t *testing.T) (*fake, testClient) {
	t.Helper()
	srv := testenv.StartServer(t, s3test.KindVersity)
	if err := srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(srv.BackendURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target) // keeps the Host the client signed
	rp.ErrorLog = log.New(io.Discard, "", 0)
	f := newRecorder(t, rp, false)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.Region, cfg.KeyID, cfg.SecretKey = srv.Region, srv.KeyID, srv.SecretKey
	})
	return f, c
}

// A source above the copy limit is copied as a multipart upload of
// ranges (UploadPartCopy), each pinned to the source's ETag; with meta
// nil, the source's metadata is read with a pinned HEAD and given to the
// upload. Pinned to a replaced version, the copy fails with ErrChanged
// and leaves no upload behind.
func TestCopyInParts(t *testing.T) {
	f, c := versityRecorder(t)
	const part = 6 << 20 // versitygw wants 5 MiB parts
	s3backend.SetCopyLimits(c.Client, part, part)
	ctx := context.Background()
	data := content(11 << 20)
	mt := time.Date(2022, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	src, err := c.Put(ctx, "src", bytes.NewReader(data), int64(len(data)), s3backend.Meta{MTime: mt})
	if err != nil {
		t.Fatal(err)
	}

	f.reset()
	o, _, err := c.Copy(ctx, src, "dst", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, c, "dst"); !bytes.Equal(got, data) || !strings.HasSuffix(strings.Trim(o.ETag, `"`), "-2") || o.Size != src.Size {
		t.Errorf("copied %d bytes as %+v; want the %d of the source in 2 parts", len(got), o, len(data))
	}
	if st, err := c.Stat(ctx, "dst"); err != nil || !st.MTime.Equal(mt) || !o.MTime.Equal(mt) {
		t.Errorf("copy's MTime %v, Stat %+v, %v; want the source's %v", o.MTime, st, err, mt)
	}
	half := len(data) / 2
	wantRanges := []string{fmt.Sprintf("bytes=0-%d", half-1), fmt.Sprintf("bytes=%d-%d", half, len(data)-1)}
	var ranges []string
	heads := 0
	for _, r := range f.requests() {
		if r.Method == http.MethodHead && r.Path == "/bkt/src" {
			if heads++; r.Header.Get("If-Match") != src.ETag {
				t.Errorf("HEAD of the source with If-Match %q, want %s", r.Header.Get("If-Match"), src.ETag)
			}
		}
		if cr := r.Header.Get("X-Amz-Copy-Source-Range"); cr != "" {
			ranges = append(ranges, cr)
			if im := r.Header.Get("X-Amz-Copy-Source-If-Match"); im != src.ETag {
				t.Errorf("part %s pinned to %q, want %s", cr, im, src.ETag)
			}
		}
		for name := range r.Header {
			if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-checksum") || strings.HasPrefix(l, "x-amz-sdk-checksum") {
				t.Errorf("%s %s sent %s", r.Method, r.Path, name)
			}
		}
	}
	if heads != 1 {
		t.Errorf("%d HEADs of the source, want 1 for its metadata", heads)
	}
	if strings.Join(ranges, " ") != strings.Join(wantRanges, " ") && strings.Join(ranges, " ") != wantRanges[1]+" "+wantRanges[0] {
		t.Errorf("copied ranges %v, want %v", ranges, wantRanges)
	}

	later := mt.Add(time.Hour)
	if _, _, err := c.Copy(ctx, src, "dst2", &s3backend.Meta{MTime: later}); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Stat(ctx, "dst2"); err != nil || !st.MTime.Equal(later) {
		t.Errorf("copy with meta: Stat %+v, %v; want MTime %v", st, err, later)
	}

	if _, err := c.Put(ctx, "src", bytes.NewReader(slices.Concat(data[1:], data[:1])), int64(len(data)), s3backend.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, meta := range []*s3backend.Meta{nil, {MTime: later}} { // with and without the HEAD
		if _, _, err := c.Copy(ctx, src, "dst3", meta); !errors.Is(err, s3backend.ErrChanged) || !strings.HasPrefix(err.Error(), `copy "src" to "dst3": `) {
			t.Errorf("copy pinned to a replaced version (meta %v): %v, want ErrChanged", meta, err)
		}
	}
	if ups, err := c.ListUploads(ctx, ""); err != nil || len(ups) != 0 {
		t.Errorf("uploads left after the failed copies: %+v, %v", ups, err)
	}
	if _, err := c.Stat(ctx, "dst3"); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("Stat of the failed copy: %v, want ErrNotExist", err)
	}
}

// A copy with meta replaces only what b2mount stores: the source's
// Content-Type and other user metadata are read with a pinned HEAD and
// kept (B2 refuses a REPLACE without a Content-Type); without meta the
// server copies everything. A source with no metadata at all copies too.
func TestCopyReplaceKeepsTypeAndForeignMeta(t *testing.T) {
	f, c := versityRecorder(t)
	ctx := context.Background()
	sdk := s3backend.SDK(c.Client)
	put := func(key string, md map[string]string, ct *string) s3backend.Object {
		t.Helper()
		if _, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key),
			Body: strings.NewReader(key), ContentType: ct, Metadata: md}); err != nil {
			t.Fatal(err)
		}
		o, err := c.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	head := func(key string) (string, map[string]string) { t.Helper(); return headMeta(t, sdk, key) }
	src := put("src", map[string]string{"foo": "bar", s3backend.MTimeMetaKey: "1000"}, aws.String("image/jpeg"))
	later := time.UnixMilli(2000)
	for _, tc := range []struct {
		meta  *s3backend.Meta
		mtime string
	}{{nil, "1000"}, {&s3backend.Meta{MTime: later}, "2000"}, {&s3backend.Meta{}, ""}} {
		f.reset()
		o, _, err := c.Copy(ctx, src, "dst", tc.meta)
		if err != nil {
			t.Fatal(err)
		}
		ct, md := head("dst")
		if ct != "image/jpeg" || md["foo"] != "bar" || md[s3backend.MTimeMetaKey] != tc.mtime || len(md) != 1+min(len(tc.mtime), 1) {
			t.Errorf("copy with meta %v: Content-Type %q, metadata %v; want image/jpeg, foo=bar, mtime %q", tc.meta, ct, md, tc.mtime)
		}
		if want := time.UnixMilli(1000); tc.meta == nil && !o.MTime.Equal(want) {
			t.Errorf("copy without meta answered MTime %v, want the source's %v", o.MTime, want)
		}
		heads := 0
		for _, r := range f.requests() {
			if r.Method == http.MethodHead && r.Path == "/bkt/src" {
				heads++
			}
		}
		if want := btoi(tc.meta != nil); heads != want {
			t.Errorf("copy with meta %v sent %d HEADs of the source, want %d", tc.meta, heads, want)
		}
	}
	bare := put("bare", nil, nil)
	if _, _, err := c.Copy(ctx, bare, "dst2", &s3backend.Meta{MTime: later}); err != nil {
		t.Fatal(err)
	}
	if _, md := head("dst2"); md[s3backend.MTimeMetaKey] != "2000" {
		t.Errorf("copy of a source without metadata: %v", md)
	}
}

// A file b2mount wrote (Put: Own) is written with its name's Content-Type,
// and a copy of it that replaces its time needs no HEAD: its metadata is
// b2mount's alone. A copy, with a new time or not, takes its new name's
// type, so a file written under rsync's temporary name, or moved to one
// with another extension, ends up typed by its real one.
func TestCopyOfOwnSourceSendsNoHead(t *testing.T) {
	f, c := versityRecorder(t)
	ctx := context.Background()
	sdk := s3backend.SDK(c.Client)
	head := func(key string) (string, map[string]string) { t.Helper(); return headMeta(t, sdk, key) }
	src, err := c.Put(ctx, "dir/.photo.jpg.Xy12Ab", strings.NewReader("jpeg"), 4, s3backend.Meta{MTime: time.UnixMilli(1000)})
	if err != nil {
		t.Fatal(err)
	}
	if ct, _ := head(src.Key); !src.Own || ct != "application/octet-stream" {
		t.Errorf("Put answered Own %v, stored Content-Type %q; want true, application/octet-stream", src.Own, ct)
	}
	f.reset()
	o, _, err := c.Copy(ctx, src, "dir/photo.jpg", &s3backend.Meta{MTime: time.UnixMilli(2000)})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count("HEAD"); n != 0 {
		t.Errorf("the copy of an Own source sent %d HEAD, want 0", n)
	}
	if ct, md := head("dir/photo.jpg"); ct != "image/jpeg" || md[s3backend.MTimeMetaKey] != "2000" || len(md) != 1 || !o.Own {
		t.Errorf("copy: Content-Type %q, metadata %v, Own %v; want image/jpeg, mtime 2000 alone, Own", ct, md, o.Own)
	}
	f.reset()
	kept, _, err := c.Copy(ctx, o, "dir/other.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	heads := f.count("HEAD")
	if ct, md := head("dir/other.txt"); !strings.HasPrefix(ct, "text/plain") || md[s3backend.MTimeMetaKey] != "2000" || !kept.Own || heads != 0 {
		t.Errorf("copy without meta: Content-Type %q, metadata %v, Own %v; want text/plain, the source's mtime, Own, and no HEAD", ct, md, kept.Own)
	}
}

// headMeta is the Content-Type and user metadata of key, read with the
// SDK's own HEAD.
func headMeta(t *testing.T, sdk *s3.Client, key string) (string, map[string]string) {
	t.Helper()
	out, err := sdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ContentType), out.Metadata
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
