package fs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// sidecar reads the one sidecar of the staging directory.
func (f *writeFixture) sidecar() stagedSidecar {
	f.t.Helper()
	paths, _ := filepath.Glob(filepath.Join(f.deps.staging, "*.json"))
	if len(paths) != 1 {
		f.t.Fatalf("sidecars %v, want one", paths)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		f.t.Fatal(err)
	}
	var sc stagedSidecar
	if err := json.Unmarshal(data, &sc); err != nil {
		f.t.Fatalf("sidecar %s: %v", data, err)
	}
	if _, err := os.Stat(strings.TrimSuffix(paths[0], ".json")); err != nil {
		f.t.Errorf("the sidecar's staged file: %v", err)
	}
	return sc
}

// Editing an existing file downloads nothing at open nor at the write; a
// read downloads what it needs, and Commit the rest, with GETs pinned to
// the base's ETag; the object is uploaded from the staged file. After the
// commit the file holds everything: more changes download nothing.
func TestStageEditDownloadsOnlyWhatIsMissing(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	old := pattern(5000, 50)
	base := f.object("k", old)
	s := f.session("k", base)
	if s.Dirty() || s.Size() != 5000 {
		t.Errorf("a session on a 5,000-byte object: dirty %v, size %d", s.Dirty(), s.Size())
	}
	want := slices.Clone(old)
	copy(want[2000:], "patch")
	f.write(s, []byte("patch"), 2000, 5)
	f.counts(map[string]int{})
	sc := f.sidecar()
	if sc.Key != "k" || sc.BaseETag != base.ETag || sc.BaseSize != 5000 || !sc.Dirty || !sc.Created.Equal(testClock) {
		t.Errorf("sidecar %+v, want key k, the base's ETag and size, dirty, created now", sc)
	}
	if got := f.read(s, 1990, 20); string(got) != string(want[1990:2010]) {
		t.Errorf("read across the patch: %q, want %q", got, want[1990:2010])
	}
	if gets := f.store.Gets(); !slices.Equal(gets, []string{"1990+10", "2005+5"}) {
		t.Errorf("the read downloaded %v, want only the bytes around the patch", gets)
	}
	f.store.ResetCounts()
	f.commit(s, "k", want)
	if gets := f.store.Gets(); !slices.Equal(gets, []string{"0+1990", "2010+2990"}) {
		t.Errorf("the commit downloaded %v, want only what was missing", gets)
	}
	f.counts(map[string]int{memstore.OpGet: 2, memstore.OpCreate: 1, memstore.OpPart: 5, memstore.OpComplete: 1})
	if sc := f.sidecar(); sc.Dirty || sc.Size != 5000 {
		t.Errorf("sidecar after the commit %+v, want clean", sc)
	}

	f.store.ResetCounts()
	copy(want[4990:], "tail!")
	f.write(s, []byte("tail!"), 4990, 5)
	f.commit(s, "k", want)
	if f.store.Count(memstore.OpGet) != 0 {
		t.Errorf("a change after a commit downloaded %v", f.store.Gets())
	}
	s.Abort()
	if names := f.stagingFiles(); len(names) != 0 {
		t.Errorf("Abort left %v", names)
	}
	f.nothingHeld()
}

// echo >> notes.txt: a small file appended to is one GET and one PUT.
func TestStageAppendToASmallFile(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	old := pattern(1500, 51)
	s := f.session("notes.txt", f.object("notes.txt", old))
	f.write(s, []byte("one more line\n"), 1500, 100)
	f.commit(s, "notes.txt", append(old, "one more line\n"...))
	f.counts(map[string]int{memstore.OpGet: 1, memstore.OpPut: 1})
}

// Bytes cut off by a truncation are gone: growing the file again reads
// zeros there, and they are never downloaded.
func TestStageTruncateThenGrowReadsZeros(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	old := pattern(1500, 52)
	s := f.session("k", f.object("k", old))
	ctx := context.Background()
	if err := s.Truncate(ctx, 500); err != nil {
		t.Fatal(err)
	}
	if err := s.Truncate(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(old[:500]), make([]byte, 500)...)
	if got := f.read(s, 0, 2000); string(got) != string(want) {
		t.Errorf("read %d bytes, want the first 500 and 500 zeros", len(got))
	}
	f.commit(s, "k", want)
	if gets := f.store.Gets(); !slices.Equal(gets, []string{"0+500"}) {
		t.Errorf("downloaded %v, want only the 500 bytes kept", gets)
	}
}

// A base replaced (or deleted) by someone else mid-session cannot be
// completed: the read or the commit fails with ErrChanged (EIO), nothing
// is stored, and the other writer's object stays.
func TestStageBaseReplacedMidSession(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	ctx := context.Background()
	s := f.session("k", f.object("k", pattern(3000, 53)))
	f.write(s, []byte("mine"), 100, 4)
	theirs := pattern(3000, 54)
	f.store.Set("k", theirs)
	if _, err := s.ReadAt(ctx, make([]byte, 10), 2000); !errors.Is(err, s3backend.ErrChanged) || toErrno(err) != syscall.EIO {
		t.Errorf("read of the replaced base: %v, want ErrChanged (EIO)", err)
	}
	_, err := s.Commit(ctx, "k", s3backend.Meta{})
	if !errors.Is(err, s3backend.ErrChanged) || toErrno(err) != syscall.EIO {
		t.Errorf("commit on a replaced base: %v, want ErrChanged (EIO)", err)
	}
	f.stored("k", theirs)
	if f.store.Count(memstore.OpPut)+f.store.Count(memstore.OpCreate) != 0 {
		t.Errorf("an upload was sent: %v", f.store.Counts())
	}
	f.store.Remove("k")
	if _, err := s.Commit(ctx, "k", s3backend.Meta{}); !errors.Is(err, s3backend.ErrChanged) {
		t.Errorf("commit on a deleted base: %v, want ErrChanged", err)
	}
	if !s.Dirty() {
		t.Error("the session lost its changes")
	}
	f.nothingHeld()
}

// A rename's copy moves the base: the session reads the moved object.
func TestStageBaseMoved(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	ctx := context.Background()
	old := pattern(1500, 55)
	base := f.object("a", old)
	s := f.session("a", base)
	f.write(s, []byte("x"), 10, 1)
	moved, _, err := f.store.Copy(ctx, *base, "b", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Delete(ctx, "a", ""); err != nil {
		t.Fatal(err)
	}
	s.BaseMoved(moved)
	want := slices.Clone(old)
	want[10] = 'x'
	f.commit(s, "b", want)
	if _, ok := f.store.Data("a"); ok {
		t.Error("the commit stored the old name")
	}
}

// A clean session on an object sends nothing at Commit and returns the
// object; reading it stages a copy of what was read.
func TestStageCleanSessionSendsNothing(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	old := pattern(1500, 56)
	base := f.object("k", old)
	s := f.session("k", base)
	if got := f.read(s, 0, 1500); string(got) != string(old) {
		t.Error("read of the base differs")
	}
	if got := f.read(s, 0, 1500); string(got) != string(old) {
		t.Error("second read of the base differs")
	}
	obj, err := s.Commit(context.Background(), "k", s3backend.Meta{})
	if err != nil || obj != *base {
		t.Errorf("commit of a clean session: %+v, %v, want the base", obj, err)
	}
	f.counts(map[string]int{memstore.OpGet: 1})
	if sc := f.sidecar(); sc.Dirty {
		t.Error("a session only read says dirty")
	}
}

// A big staged file goes up as a multipart upload read from the file.
func TestStageBigFileIsMultipart(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("k", nil)
	data := pattern(25*testPart+7, 57)
	const at = testPart + 1 // past part 1 with nothing written: staged at once
	f.write(s, data[at:], at, 333)
	if s.sf == nil {
		t.Fatal("the content is not staged")
	}
	f.write(s, data[:at], 0, 333)
	f.commit(s, "k", data)
	f.counts(map[string]int{memstore.OpCreate: 1, memstore.OpPart: 26, memstore.OpComplete: 1})
	f.nothingHeld()
}
