package storetest

import (
	"bytes"
	"errors"
	"io"
	iofs "io/fs"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func readCases() []Case {
	return []Case{
		{Name: "Ranges", Run: ranges},
		{Name: "PinnedETagQuotes", Run: pinnedETagQuotes},
		{Name: "PinnedReplaced", Run: pinnedReplaced},
		{Name: "PinnedDeleted", Run: pinnedDeleted},
		{Name: "MissingKey", Run: missingKey},
	}
}

// content is n bytes of a fixed pseudo-random sequence.
func content(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(9, uint64(n)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// read opens key pinned to etag and reads it all.
func read(t *testing.T, b *Bucket, key, etag string, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := b.Store.OpenRange(t.Context(), key, etag, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// ranges: OpenRange gives off..off+n, to the end for n < 0, what there is
// for n past the end, and nothing, without error, from the end on.
func ranges(t *testing.T, b *Bucket) {
	data := content(10_000)
	key := b.Put("f", data)
	empty := b.Put("empty", nil)
	for _, etag := range []string{"", stat(t, b, key).ETag} {
		for _, tc := range []struct {
			name   string
			off, n int64
			want   []byte
		}{
			{"start", 0, 100, data[:100]},
			{"middle", 5000, 1000, data[5000:6000]},
			{"to the end", 9000, -1, data[9000:]},
			{"whole", 0, -1, data},
			{"past the end", 9990, 100, data[9990:]},
			{"last byte", 9999, 1, data[9999:]},
			{"at the end", 10_000, 10, nil},
			{"at the end, to the end", 10_000, -1, nil},
			{"after the end", 20_000, 5, nil},
			{"after the end, to the end", 20_000, -1, nil},
			{"none", 10, 0, nil},
		} {
			got, err := read(t, b, key, etag, tc.off, tc.n)
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("%s (etag %q): %d bytes, %v; want %d bytes", tc.name, etag, len(got), err, len(tc.want))
			}
		}
	}
	for _, n := range []int64{-1, 10} {
		if got, err := read(t, b, empty, "", 0, n); err != nil || len(got) != 0 {
			t.Errorf("empty object, n %d: %d bytes, %v", n, len(got), err)
		}
	}
}

func stat(t *testing.T, b *Bucket, key string) s3backend.Object {
	t.Helper()
	o, err := b.Store.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	return o
}

// etagForms are an ETag with and without its quotes.
func etagForms(etag string) []string {
	bare := strings.Trim(etag, `"`)
	return []string{`"` + bare + `"`, bare}
}

// pinnedETagQuotes: an ETag pins its version with or without quotes, as
// Stat and the listing give it.
func pinnedETagQuotes(t *testing.T, b *Bucket) {
	data := content(300)
	key := b.Put("f", data)
	st := stat(t, b, key)
	if !strings.HasPrefix(st.ETag, `"`) {
		t.Errorf("Stat's ETag %s, want it quoted, as S3 sends it", st.ETag)
	}
	listed := listing(t, b.Store, b.Dir).Objects
	for _, etag := range append(etagForms(st.ETag), listed[0].ETag) {
		if got, err := read(t, b, key, etag, 100, 50); err != nil || !bytes.Equal(got, data[100:150]) {
			t.Errorf("pinned to %s: %d bytes, %v", etag, len(got), err)
		}
	}
}

// expectChanged checks that a pinned read failed as a version that is
// gone: ErrChanged, and nothing that reads as a missing path.
func expectChanged(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, s3backend.ErrChanged) || errors.Is(err, s3backend.ErrNotExist) || errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("%s: %v; want ErrChanged (and not ErrNotExist)", what, err)
	}
}

// pinnedReplaced: a read pinned to the ETag of a version that was replaced
// fails with ErrChanged, with or without quotes; the new ETag reads the
// new version.
func pinnedReplaced(t *testing.T, b *Bucket) {
	key := b.Put("f", []byte("old version"))
	old := stat(t, b, key).ETag
	b.Put("f", []byte("NEW VERSION, longer"))
	for _, etag := range etagForms(old) {
		_, err := read(t, b, key, etag, 0, 5)
		expectChanged(t, "pinned to the replaced "+etag, err)
	}
	st := stat(t, b, key)
	if s3backend.SameETag(st.ETag, old) {
		t.Fatalf("ETag %s did not change with the content", st.ETag)
	}
	if got, err := read(t, b, key, st.ETag, 0, -1); err != nil || string(got) != "NEW VERSION, longer" {
		t.Errorf("pinned to the new ETag: %q, %v", got, err)
	}
}

// pinnedDeleted: a read pinned to the ETag of a version that was deleted
// fails with ErrChanged, like a replaced one, never ErrNotExist: an open
// file has no path to be missing. Without an ETag, it is ErrNotExist.
func pinnedDeleted(t *testing.T, b *Bucket) {
	key := b.Put("f", content(1000))
	etag := stat(t, b, key).ETag
	if _, err := read(t, b, key, etag, 0, 10); err != nil {
		t.Fatal(err)
	}
	b.Delete("f")
	for _, e := range etagForms(etag) {
		_, err := read(t, b, key, e, 10, 100)
		expectChanged(t, "pinned read of the deleted object, etag "+e, err)
	}
	if _, err := read(t, b, key, "", 0, 10); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("unpinned read of the deleted object: %v, want ErrNotExist", err)
	}
}

// missingKey: Stat and OpenRange of a key that is not there fail with
// ErrNotExist (which is io/fs.ErrNotExist too).
func missingKey(t *testing.T, b *Bucket) {
	b.PutAll("present", "dir/inner")
	for _, key := range []string{b.Key("absent"), b.Key("dir"), b.Key("dir/")} {
		if _, err := b.Store.Stat(t.Context(), key); !errors.Is(err, s3backend.ErrNotExist) || !errors.Is(err, iofs.ErrNotExist) {
			t.Errorf("Stat(%q): %v, want ErrNotExist", key, err)
		}
		if _, err := read(t, b, key, "", 0, -1); !errors.Is(err, s3backend.ErrNotExist) || errors.Is(err, s3backend.ErrChanged) {
			t.Errorf("OpenRange(%q): %v, want ErrNotExist", key, err)
		}
	}
}
