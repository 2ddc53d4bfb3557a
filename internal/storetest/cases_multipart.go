package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

func multipartCases() []Case {
	return []Case{
		{Name: "MultipartThreeParts", Needs: canWrite, Run: multipartThreeParts},
		{Name: "MultipartSmallPart", Needs: canWrite, Run: multipartSmallPart},
		{Name: "AbortUpload", Needs: canWrite, Run: abortUpload},
		{Name: "ListUploads", Needs: canWrite, Run: listUploads},
	}
}

// minPart is a part as small as every server takes for one that is not
// the last: 5 MiB (B2 and S3 want 5 MB, versitygw 5 MiB).
const minPart = 5 << 20

// createUpload starts an upload of the case's name through the Store
// under test; the cleanup aborts it if it is left unfinished.
func (b *Bucket) createUpload(name string, meta s3backend.Meta) s3backend.Upload {
	b.t.Helper()
	key := b.Key(name)
	b.mu.Lock()
	b.uploads = true
	b.keys = append(b.keys, key)
	b.mu.Unlock()
	up, err := b.W().CreateUpload(b.t.Context(), key, meta)
	if err != nil || up.Key != key || up.ID == "" {
		b.t.Fatalf("CreateUpload(%q) = %+v, %v", key, up, err)
	}
	return up
}

// uploadParts uploads each of data as parts 1, 2, ... of up, the last
// first, and returns them in that order.
func uploadParts(t *testing.T, b *Bucket, up s3backend.Upload, data [][]byte) []s3backend.Part {
	t.Helper()
	parts := make([]s3backend.Part, len(data))
	for i := len(data) - 1; i >= 0; i-- {
		n := int32(i + 1)
		p, err := b.W().UploadPart(t.Context(), up, n, bytes.NewReader(data[i]), int64(len(data[i])))
		if err != nil || p.N != n || p.ETag == "" || p.Size != int64(len(data[i])) {
			t.Fatalf("UploadPart(%d of %q) = %+v, %v", n, up.Key, p, err)
		}
		parts[len(data)-1-i] = p
	}
	return parts
}

// completeParts uploads data as the parts of up and completes it.
func completeParts(t *testing.T, b *Bucket, up s3backend.Upload, data [][]byte) s3backend.Object {
	t.Helper()
	o, err := b.W().CompleteUpload(t.Context(), up, uploadParts(t, b, up, data))
	if err != nil {
		t.Fatalf("CompleteUpload(%q): %v", up.Key, err)
	}
	return o
}

// uploadsOf lists the unfinished uploads under prefix.
func uploadsOf(t *testing.T, b *Bucket, prefix string) []s3backend.Upload {
	t.Helper()
	ups, err := b.W().ListUploads(t.Context(), prefix)
	if err != nil {
		t.Fatalf("ListUploads(%q): %v", prefix, err)
	}
	return ups
}

// abortAll aborts every upload left under the case's directory. It runs
// in the cleanup, when the test's context is already cancelled.
func (b *Bucket) abortAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ups, err := b.W().ListUploads(ctx, b.Dir)
	if err != nil {
		b.t.Errorf("cleanup: %v", err)
	}
	for _, up := range ups {
		if err := b.W().AbortUpload(ctx, up); err != nil {
			b.t.Errorf("cleanup: %v", err)
		}
	}
}

// multipartThreeParts: two parts of the minimum size and a short last
// one, uploaded out of order, make one object of their content in order
// of part number, with a multipart ETag ("...-3") that a HEAD names too,
// the upload's MTime (in the answer too, which is Own: the metadata is
// what CreateUpload was given) and no unfinished upload left.
func multipartThreeParts(t *testing.T, b *Bucket) {
	all := content(2*minPart + 100_000)
	data := [][]byte{all[:minPart], all[minPart : 2*minPart], all[2*minPart:]}
	up := b.createUpload("big", s3backend.Meta{MTime: mtime})
	o := completeParts(t, b, up, data)
	form := strings.HasSuffix(strings.Trim(o.ETag, `"`), "-3")
	if b.Quirks.MultipartETagIsMD5 {
		form = s3backend.SameETag(o.ETag, fmt.Sprintf("%x", md5.Sum(all)))
	}
	if o.Key != up.Key || o.Size != int64(len(all)) || !form || !o.MTime.Equal(inMillis(mtime)) || o.ModTime.IsZero() || !o.Own {
		t.Errorf("CompleteUpload = %+v; want size %d, an ETag ending in -3 (the MD5 of the content with MultipartETagIsMD5), the upload's MTime, a ModTime, Own", o, len(all))
	}
	st := stat(t, b, up.Key)
	if st.Size != o.Size || !st.MTime.Equal(inMillis(mtime)) || !sameVersion(b, st.VersionID, o.VersionID) {
		t.Errorf("Stat = %+v; the complete answered %+v, MTime %v", st, o, inMillis(mtime))
	}
	if !s3backend.SameETag(st.ETag, o.ETag) {
		t.Errorf("Stat's ETag %s, the complete answered %s", st.ETag, o.ETag)
	}
	if got, err := read(t, b, up.Key, o.ETag, 0, -1); err != nil || !bytes.Equal(got, all) {
		t.Errorf("read: %d bytes, %v; want %d bytes", len(got), err, len(all))
	}
	if got, err := read(t, b, up.Key, o.ETag, minPart-10, 20); err != nil || !bytes.Equal(got, all[minPart-10:minPart+10]) {
		t.Errorf("read across parts 1 and 2: %d bytes, %v", len(got), err)
	}
	if ups := uploadsOf(t, b, b.Dir); len(ups) != 0 {
		t.Errorf("uploads left after the complete: %+v", ups)
	}
}

// multipartSmallPart: a part below the minimum that is not the last
// makes the complete fail, and nothing appears under the key.
func multipartSmallPart(t *testing.T, b *Bucket) {
	data := [][]byte{content(1_000_000), []byte("last")}
	up := b.createUpload("small", s3backend.Meta{})
	_, err := b.W().CompleteUpload(t.Context(), up, uploadParts(t, b, up, data))
	if b.Quirks.SmallPartsAccepted {
		if err != nil {
			t.Errorf("CompleteUpload: %v, though the quirk says the server takes small parts", err)
		}
		expectContent(t, b, up.Key, slices.Concat(data...))
		return
	}
	if err == nil {
		t.Fatal("CompleteUpload with a 1 MB part before the last worked")
	}
	if _, err := b.Store.Stat(t.Context(), up.Key); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("Stat after the failed complete: %v, want ErrNotExist", err)
	}
}

// abortUpload: an aborted upload is gone: not listed, its parts and
// complete fail with ErrNotExist, nothing is under its key, and aborting
// it again is no error.
func abortUpload(t *testing.T, b *Bucket) {
	up := b.createUpload("f", s3backend.Meta{})
	parts := uploadParts(t, b, up, [][]byte{[]byte("part one")})
	if err := b.W().AbortUpload(t.Context(), up); err != nil {
		t.Fatalf("AbortUpload: %v", err)
	}
	if ups := uploadsOf(t, b, b.Dir); len(ups) != 0 {
		t.Errorf("uploads after the abort: %+v", ups)
	}
	if err := b.W().AbortUpload(t.Context(), up); err != nil {
		t.Errorf("AbortUpload again: %v", err)
	}
	if _, err := b.W().UploadPart(t.Context(), up, 2, bytes.NewReader([]byte("x")), 1); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("UploadPart after the abort: %v, want ErrNotExist", err)
	}
	if _, err := b.W().CompleteUpload(t.Context(), up, parts); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("CompleteUpload after the abort: %v, want ErrNotExist", err)
	}
	if _, err := b.Store.Stat(t.Context(), up.Key); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("Stat after the abort: %v, want ErrNotExist", err)
	}
}

// listUploads: ListUploads lists every unfinished upload under the
// prefix, two of one key too, with key, id and start time, and none
// elsewhere.
func listUploads(t *testing.T, b *Bucket) {
	want := []s3backend.Upload{b.createUpload("a", s3backend.Meta{}), b.createUpload("sub/b", s3backend.Meta{}),
		b.createUpload("sub/b", s3backend.Meta{MTime: mtime})}
	same := func(got []s3backend.Upload, want ...s3backend.Upload) bool {
		return len(got) == len(want) && !slices.ContainsFunc(want, func(w s3backend.Upload) bool {
			return !slices.ContainsFunc(got, func(g s3backend.Upload) bool {
				return g.Key == w.Key && g.ID == w.ID && !g.Initiated.IsZero() && g.Initiated.Before(time.Now().Add(time.Hour))
			})
		})
	}
	if got := uploadsOf(t, b, b.Dir); !same(got, want...) {
		t.Errorf("ListUploads(%q) = %+v, want %+v with start times", b.Dir, got, want)
	}
	if got := uploadsOf(t, b, b.Key("sub/")); !same(got, want[1:]...) {
		t.Errorf("ListUploads(%q) = %+v, want %+v", b.Key("sub/"), got, want[1:])
	}
	if got := uploadsOf(t, b, b.Key("none/")); len(got) != 0 {
		t.Errorf("ListUploads of a prefix without uploads: %+v", got)
	}
}
