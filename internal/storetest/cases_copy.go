package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

func copyCases() []Case {
	return []Case{
		{Name: "CopyKeepsOrReplacesMeta", Needs: canWrite, Run: copyMeta},
		{Name: "CopyPinned", Needs: canWrite, Run: copyPinned},
	}
}

// copyOf copies src to the case's name dst, for the cleanup to delete.
func copyOf(t *testing.T, b *Bucket, src s3backend.Object, dst string, meta *s3backend.Meta) s3backend.Object {
	t.Helper()
	key := b.Key(dst)
	b.track(key)
	o, ver, err := b.W().Copy(t.Context(), src, key, meta)
	if err != nil {
		t.Fatalf("Copy(%q to %q): %v", src.Key, key, err)
	}
	if !sameVersion(b, ver, src.VersionID) {
		t.Errorf("Copy answered source version %q, the source is %q", ver, src.VersionID)
	}
	if o.Key != key || o.Size != src.Size || o.ETag == "" || o.ModTime.IsZero() {
		t.Errorf("Copy answered %+v for a source of %d bytes", o, src.Size)
	}
	return o
}

// copyMeta: a copy has the source's content; with meta nil it keeps the
// source's MTime, otherwise it gets the one given (or none); the copy is
// what Stat, the listing and a pinned read see.
func copyMeta(t *testing.T, b *Bucket) {
	data := content(30_000)
	src := b.write("src", data, s3backend.Meta{MTime: mtime})
	kept := copyOf(t, b, src, "kept", nil)
	expectWritten(t, b, kept, data, inMillis(mtime))

	later := mtime.Add(36*time.Hour + 5*time.Millisecond)
	replaced := copyOf(t, b, src, "replaced", &s3backend.Meta{MTime: later})
	expectWritten(t, b, replaced, data, inMillis(later))

	// What this store wrote is Own (its metadata known, so a copy that
	// replaces it needs no HEAD), and so are copies of it that keep or
	// replace b2mount's metadata under a name of the same type; what a
	// Stat describes is not.
	if !src.Own || !kept.Own || !replaced.Own {
		t.Errorf("Own: Put %v, Copy keeping the metadata %v, Copy replacing it %v; want all true", src.Own, kept.Own, replaced.Own)
	}
	if st := stat(t, b, src.Key); st.Own {
		t.Errorf("Stat answered an Own object: %+v", st)
	}
	listed := src
	listed.Own = false
	if c := copyOf(t, b, listed, "fromlisted", &s3backend.Meta{MTime: later}); c.Own {
		t.Errorf("a copy of a source whose metadata was read (not Own) answered Own")
	}

	dropped := copyOf(t, b, src, "dropped", &s3backend.Meta{})
	if b.Quirks.CopyMergesMeta {
		if st := stat(t, b, dropped.Key); !st.MTime.Equal(inMillis(mtime)) || !dropped.MTime.IsZero() {
			t.Errorf("copy without meta: answered MTime %v, Stat %v; the quirk says the server keeps the source's %v",
				dropped.MTime, st.MTime, inMillis(mtime))
		}
		expectContent(t, b, dropped.Key, data)
	} else {
		expectWritten(t, b, dropped, data, time.Time{})
	}

	over := b.write("over", []byte("replaced by the copy"), s3backend.Meta{})
	onto := copyOf(t, b, src, "over", nil)
	expectWritten(t, b, onto, data, inMillis(mtime))
	_, err := read(t, b, over.Key, over.ETag, 0, -1)
	expectChanged(t, "read pinned to the version the copy replaced", err)
	expectContent(t, b, src.Key, data)
}

// copyPinned: a copy pinned to the ETag of a version that was replaced
// or deleted fails with ErrChanged and writes nothing; unpinned, a
// missing source is ErrNotExist.
func copyPinned(t *testing.T, b *Bucket) {
	old := b.write("src", []byte("old version"), s3backend.Meta{})
	cur := b.write("src", []byte("NEW VERSION"), s3backend.Meta{})
	dst := b.Key("dst")
	b.track(dst)
	_, _, err := b.W().Copy(t.Context(), old, dst, nil)
	if b.Quirks.CopyIgnoresIfMatch {
		if err != nil {
			t.Errorf("Copy pinned to a replaced version: %v, though the quirk says the server copies anyway", err)
		}
		expectContent(t, b, dst, []byte("NEW VERSION"))
		return
	}
	expectChanged(t, "Copy pinned to a replaced version", err)
	if _, err := b.Store.Stat(t.Context(), dst); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("Stat of the destination of the failed copy: %v, want ErrNotExist", err)
	}

	if err := b.W().Delete(t.Context(), cur.Key, ""); err != nil {
		t.Fatal(err)
	}
	_, _, err = b.W().Copy(t.Context(), cur, dst, nil)
	expectChanged(t, "Copy pinned to a deleted version", err)
	unpinned := cur
	unpinned.ETag = ""
	if _, _, err := b.W().Copy(t.Context(), unpinned, dst, nil); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("unpinned Copy of a missing source: %v, want ErrNotExist", err)
	}
}
