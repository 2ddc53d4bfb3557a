package storetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/s3backend"
)

// canWrite: the write cases run for every Store that implements
// fs.WriteStore.
func canWrite(f *Fixture) bool {
	_, ok := f.Store.(fs.WriteStore)
	return ok
}

func writeCases() []Case {
	return []Case{
		{Name: "PutStatListRead", Needs: canWrite, Run: putStatListRead},
		{Name: "PutEmpty", Needs: canWrite, Run: putEmpty},
		{Name: "PutReplace", Needs: canWrite, Run: putReplace},
		{Name: "DeleteHides", Needs: canWrite, Run: deleteHides},
		{Name: "DeleteVersion", Needs: canWrite, Run: deleteVersion},
		{Name: "DeleteAllVersions", Needs: canWrite, Run: deleteAllVersions},
		{Name: "WriteOddNames", Needs: canWrite, Run: writeOddNames},
	}
}

// W is the Store under test as an fs.WriteStore.
func (b *Bucket) W() fs.WriteStore { return b.Store.(fs.WriteStore) }

// mtime has a part below the millisecond, which the store drops.
var mtime = time.Date(2023, 3, 4, 5, 6, 7, 891_234_567, time.UTC)

// inMillis is t as a store keeps it: whole milliseconds.
func inMillis(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// write stores data as the case's name through the Store under test, for
// the cleanup to delete, and returns what Put answered.
func (b *Bucket) write(name string, data []byte, meta s3backend.Meta) s3backend.Object {
	b.t.Helper()
	key := b.Key(name)
	b.track(key)
	o, err := b.W().Put(b.t.Context(), key, bytes.NewReader(data), int64(len(data)), meta)
	if err != nil {
		b.t.Fatalf("Put(%q): %v", key, err)
	}
	if o.Key != key {
		b.t.Errorf("Put(%q) answered key %q", key, o.Key)
		o.Key = key
	}
	return o
}

// expectWritten checks what a write answered against Stat, the listing
// of its folder and the content read pinned to the ETag it answered.
func expectWritten(t *testing.T, b *Bucket, o s3backend.Object, data []byte, mt time.Time) {
	t.Helper()
	if o.Size != int64(len(data)) || !strings.HasPrefix(o.ETag, `"`) || !o.MTime.Equal(mt) || o.ModTime.IsZero() {
		t.Errorf("write answered %+v; want size %d, a quoted ETag, MTime %v, a ModTime", o, len(data), mt)
	}
	st := stat(t, b, o.Key)
	if st.Size != o.Size || !s3backend.SameETag(st.ETag, o.ETag) || !st.MTime.Equal(mt) || !sameVersion(b, st.VersionID, o.VersionID) {
		t.Errorf("Stat(%q) = %+v; the write answered %+v, MTime %v", o.Key, st, o, mt)
	}
	dir := o.Key[:strings.LastIndexByte(o.Key, '/')+1]
	objs := listing(t, b.Store, dir).Objects
	i := slices.IndexFunc(objs, func(l s3backend.Object) bool { return l.Key == o.Key })
	if i < 0 {
		t.Errorf("%q is not listed in %q", o.Key, dir)
	} else if l := objs[i]; l.Size != o.Size || !s3backend.SameETag(l.ETag, o.ETag) {
		t.Errorf("listed as %+v; the write answered %+v", l, o)
	}
	if got, err := read(t, b, o.Key, o.ETag, 0, -1); err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %q pinned to %s: %d bytes, %v; want %d bytes", o.Key, o.ETag, len(got), err, len(data))
	}
}

// sameVersion reports whether the version id a server named (a HEAD, a
// copy) is the one a write answered; with StrayVersionIDs, the ids mean
// nothing.
func sameVersion(b *Bucket, named, written string) bool {
	return named == written || b.Quirks.StrayVersionIDs
}

// putStatListRead: what Put stores, Stat, the listing and OpenRange see
// at once, with the size, ETag and version id Put answered and the
// MTime in whole milliseconds; without an MTime, Stat has none.
func putStatListRead(t *testing.T, b *Bucket) {
	data := content(70_000)
	o := b.write("f", data, s3backend.Meta{MTime: mtime})
	expectWritten(t, b, o, data, inMillis(mtime))
	plain := b.write("plain", []byte("no mtime"), s3backend.Meta{})
	expectWritten(t, b, plain, []byte("no mtime"), time.Time{})
}

// putEmpty: an empty object is stored, listed and read like any other.
func putEmpty(t *testing.T, b *Bucket) {
	o := b.write("empty", nil, s3backend.Meta{MTime: mtime})
	expectWritten(t, b, o, nil, inMillis(mtime))
}

// putReplace: a second Put of a key replaces it with a new ETag; a read
// pinned to the old one fails with ErrChanged.
func putReplace(t *testing.T, b *Bucket) {
	old := b.write("f", []byte("first version"), s3backend.Meta{})
	o := b.write("f", []byte("SECOND VERSION, longer"), s3backend.Meta{MTime: mtime})
	if s3backend.SameETag(old.ETag, o.ETag) {
		t.Fatalf("the replacement has the old ETag %s", o.ETag)
	}
	if old.VersionID != "" && old.VersionID == o.VersionID {
		t.Errorf("the replacement has the old version id %q", o.VersionID)
	}
	expectWritten(t, b, o, []byte("SECOND VERSION, longer"), inMillis(mtime))
	_, err := read(t, b, o.Key, old.ETag, 0, -1)
	expectChanged(t, "read pinned to the replaced version", err)
}

// expectGone checks that key reads as missing: Stat ErrNotExist, not
// listed, a read pinned to etag ErrChanged.
func expectGone(t *testing.T, b *Bucket, key, etag string) {
	t.Helper()
	if _, err := b.Store.Stat(t.Context(), key); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("Stat(%q) after the delete: %v, want ErrNotExist", key, err)
	}
	dir := key[:strings.LastIndexByte(key, '/')+1]
	if slices.Contains(keysOf(listing(t, b.Store, dir).Objects), key) {
		t.Errorf("%q is still listed after the delete", key)
	}
	_, err := read(t, b, key, etag, 0, -1)
	expectChanged(t, "read pinned to the deleted version", err)
}

// deleteHides: Delete without a version makes the key read as missing;
// deleting a key that is not there is no error.
func deleteHides(t *testing.T, b *Bucket) {
	o := b.write("f", []byte("doomed"), s3backend.Meta{})
	if err := b.W().Delete(t.Context(), o.Key, ""); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expectGone(t, b, o.Key, o.ETag)
	for _, key := range []string{o.Key, b.Key("never-there")} {
		if err := b.W().Delete(t.Context(), key, ""); err != nil {
			t.Errorf("Delete(%q) of a key that is not there: %v", key, err)
		}
	}
}

// versions counts the versions of key out of band.
func versions(t *testing.T, b *Bucket, key string) int {
	t.Helper()
	n, err := b.Versions(key)
	if err != nil {
		t.Fatalf("versions of %q: %v", key, err)
	}
	return n
}

// wantVersions is how many versions a bucket holds after n writes of a
// key: n, or 1 where the server keeps none but the current one.
func wantVersions(b *Bucket, n int) int {
	if b.Quirks.NoVersions {
		return min(n, 1)
	}
	return n
}

// deleteVersion: Delete with a version id deletes that version for good:
// an older one, and the current one stays; the current one, and the
// version before it is current again (B2 and versioned S3 buckets both do
// so). Deleting a version again is no error. Where the server gives no
// version ids, the case checks that it gives none.
func deleteVersion(t *testing.T, b *Bucket) {
	first := b.write("f", []byte("first"), s3backend.Meta{MTime: mtime})
	middle := b.write("f", []byte("middle"), s3backend.Meta{})
	cur := b.write("f", []byte("current"), s3backend.Meta{})
	if b.Quirks.NoVersions {
		if first.VersionID != "" || cur.VersionID != "" {
			t.Errorf("version ids %q and %q from a server that keeps no versions", first.VersionID, cur.VersionID)
		}
		return
	}
	if first.VersionID == "" || middle.VersionID == "" || cur.VersionID == "" {
		t.Fatalf("Put answered version ids %q, %q, %q; want all", first.VersionID, middle.VersionID, cur.VersionID)
	}
	expectVersions := func(when string, want int) {
		t.Helper()
		if b.Versions != nil {
			if n := versions(t, b, cur.Key); n != want {
				t.Errorf("%d versions %s, want %d", n, when, want)
			}
		}
	}
	expectVersions("at first", 3)
	for range 2 {
		if err := b.W().Delete(t.Context(), middle.Key, middle.VersionID); err != nil {
			t.Fatalf("Delete of the middle version %q: %v", middle.VersionID, err)
		}
	}
	expectWritten(t, b, cur, []byte("current"), time.Time{})
	expectVersions("after deleting the middle one", 2)
	if err := b.W().Delete(t.Context(), cur.Key, cur.VersionID); err != nil {
		t.Fatalf("Delete of the current version %q: %v", cur.VersionID, err)
	}
	expectWritten(t, b, first, []byte("first"), inMillis(mtime))
	expectVersions("after deleting the current one", 1)
}

// deleteAllVersions: DeleteAllVersions removes every version of exactly
// its key (hidden ones too), and nothing of the keys that start with it.
func deleteAllVersions(t *testing.T, b *Bucket) {
	var last s3backend.Object
	for _, v := range []string{"one", "two", "three"} {
		last = b.write("f", []byte(v), s3backend.Meta{})
	}
	if err := b.W().Delete(t.Context(), last.Key, ""); err != nil { // hidden: B2 adds a hide marker
		t.Fatal(err)
	}
	b.write("f", []byte("four"), s3backend.Meta{})
	siblings := []string{"f.bak", "f0", "f/inner"}
	if b.Quirks.NoKeyBesideFolder {
		siblings = siblings[:2]
	}
	for _, s := range siblings {
		b.write(s, []byte(s), s3backend.Meta{})
	}
	if b.Versions != nil {
		if n, want := versions(t, b, last.Key), wantVersions(b, 5); n != want {
			t.Errorf("%d versions before, want %d", n, want)
		}
	}
	if err := b.W().DeleteAllVersions(t.Context(), last.Key); err != nil {
		t.Fatalf("DeleteAllVersions: %v", err)
	}
	expectGone(t, b, last.Key, last.ETag)
	if b.Versions != nil {
		if n := versions(t, b, last.Key); n != 0 {
			t.Errorf("%d versions left", n)
		}
	}
	for _, s := range siblings {
		expectContent(t, b, b.Key(s), []byte(s))
	}
	if err := b.W().DeleteAllVersions(t.Context(), b.Key("never-there")); err != nil {
		t.Errorf("DeleteAllVersions of a key that is not there: %v", err)
	}
}

// writeOddNames: keys with spaces, '+', '%', quotes and non-ASCII are
// written, read, copied, uploaded in parts and deleted exactly.
func writeOddNames(t *testing.T, b *Bucket) {
	for _, n := range oddNameSet(!b.Quirks.B2NameRules) {
		data := []byte("content of " + n)
		o := b.write(n, data, s3backend.Meta{MTime: mtime})
		expectWritten(t, b, o, data, inMillis(mtime))

		c := copyOf(t, b, o, n+"-copy", nil)
		expectContent(t, b, c.Key, data)

		up := b.createUpload(n+"-up", s3backend.Meta{})
		ups := uploadsOf(t, b, b.Dir)
		if !slices.ContainsFunc(ups, func(u s3backend.Upload) bool { return u.Key == up.Key && u.ID == up.ID }) {
			t.Errorf("ListUploads lists %+v, not %q", ups, up.Key)
		}
		m := completeParts(t, b, up, [][]byte{data})
		expectContent(t, b, m.Key, data)

		for _, k := range []string{o.Key, c.Key, m.Key} {
			if err := b.W().Delete(t.Context(), k, ""); err != nil {
				t.Errorf("Delete(%q): %v", k, err)
			}
			if _, err := b.Store.Stat(t.Context(), k); !errors.Is(err, s3backend.ErrNotExist) {
				t.Errorf("Stat(%q) after the delete: %v", k, err)
			}
		}
	}
}
