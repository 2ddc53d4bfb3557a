package fs

import (
	"context"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

const (
	testPart   = 1000     // part size of most writer tests
	testBudget = 64 << 20 // memory budget of most writer tests
)

// A new file smaller than two parts is one PutObject at Commit, and
// nothing before; a second Commit of the clean session sends nothing.
func TestStreamSmallFileIsOnePut(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("small", nil)
	data := pattern(2*testPart, 1)
	f.write(s, data, 0, 64)
	f.counts(map[string]int{})
	obj := f.commit(s, "small", data)
	f.counts(map[string]int{memstore.OpPut: 1})
	if again, err := s.Commit(context.Background(), "small", s3backend.Meta{}); err != nil || again != obj {
		t.Errorf("second commit of a clean session: %+v, %v; want %+v", again, err, obj)
	}
	f.counts(map[string]int{memstore.OpPut: 1})
	f.nothingHeld()
	if names := f.stagingFiles(); len(names) != 0 {
		t.Errorf("a streamed file left %v in the staging directory", names)
	}
}

// A created file never written is an object of 0 bytes: one PUT.
func TestStreamEmptyFileIsOnePutOfNothing(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("empty", nil)
	if !s.Dirty() {
		t.Error("a new file's session is clean: closing it would create nothing")
	}
	if err := s.Truncate(context.Background(), 0); err != nil { // O_TRUNC on a new file
		t.Fatal(err)
	}
	f.commit(s, "empty", []byte{})
	f.counts(map[string]int{memstore.OpPut: 1})
}

// A file of three parts streams: part 2 goes up while the program still
// writes; Commit sends parts 1 and 3 and completes. Nothing else is sent,
// and the memory comes back.
func TestStreamThreePartFile(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("three", nil)
	data := pattern(2*testPart+500, 2)
	f.write(s, data, 0, 100)
	if !waitUntil(func() bool { return f.store.Count(memstore.OpPart) == 1 }) {
		t.Fatalf("part 2 was not uploaded while the file was written: %v", f.store.Counts())
	}
	f.commit(s, "three", data)
	f.counts(map[string]int{memstore.OpCreate: 1, memstore.OpPart: 3, memstore.OpComplete: 1})
	if _, n := f.journal.balanced(); n != 1 {
		t.Errorf("the journal saw %d uploads, want 1", n)
	}
	f.nothingHeld()
}

// Part 1 is kept until Commit and the part being filled is in memory:
// both can be patched and read back, without a request, after later parts
// went up.
func TestStreamPatchesPart1AndTheFillingPart(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("patched", nil)
	data := pattern(3*testPart+500, 3)
	f.write(s, data, 0, 128)
	for _, off := range []int64{0, 10, testPart - 4, 3*testPart + 100} {
		patch := []byte("HEAD")
		copy(data[off:], patch)
		f.write(s, patch, off, 4)
	}
	for _, off := range []int64{0, 3*testPart + 90} {
		if got := f.read(s, off, 20); string(got) != string(data[off:off+20]) {
			t.Errorf("read at %d: %q, want %q", off, got, data[off:off+20])
		}
	}
	f.commit(s, "patched", data)
	f.counts(map[string]int{memstore.OpCreate: 1, memstore.OpPart: 4, memstore.OpComplete: 1})
	f.nothingHeld()
}

// A gap inside the part being filled is zeros, in memory: still streamed.
func TestStreamGapInsideTheFillingPart(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("gap", nil)
	data := pattern(1500, 4)
	f.write(s, data[:1200], 0, 100)
	f.write(s, data[1400:], 1400, 100)
	clear(data[1200:1400])
	f.commit(s, "gap", data)
	f.counts(map[string]int{memstore.OpPut: 1})
	if names := f.stagingFiles(); len(names) != 0 {
		t.Errorf("a gap inside the part being filled staged the file: %v", names)
	}
}

// Before part 2 is sealed, anything out of order (a gap past the part
// being filled, a read, a truncation) moves the content to a staged file,
// without a request.
func TestStreamOutOfOrderBeforeSealingStages(t *testing.T) {
	for name, op := range map[string]func(f *writeFixture, s *writeSession, data []byte) []byte{
		"gap": func(f *writeFixture, s *writeSession, data []byte) []byte {
			more := pattern(100, 5)
			f.write(s, more, 2500, 100)
			return append(append(data, make([]byte, 2500-len(data))...), more...)
		},
		"read": func(f *writeFixture, s *writeSession, data []byte) []byte {
			if got := f.read(s, 100, 50); string(got) != string(data[100:150]) {
				f.t.Errorf("read back %q, want %q", got, data[100:150])
			}
			return data
		},
		"truncate": func(f *writeFixture, s *writeSession, data []byte) []byte {
			if err := s.Truncate(context.Background(), 700); err != nil {
				f.t.Fatal(err)
			}
			return data[:700]
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newWriteFixture(t, testPart, testBudget)
			s := f.session("k", nil)
			data := pattern(1200, 6)
			f.write(s, data, 0, 100)
			want := op(f, s, data)
			f.counts(map[string]int{})
			if names := f.stagingFiles(); len(names) != 2 {
				t.Errorf("staging directory holds %v, want the staged file and its sidecar", names)
			}
			if f.deps.pool.stats().inUse != 0 {
				t.Error("the staged session still holds memory")
			}
			f.commit(s, "k", want)
			s.Abort()
			if names := f.stagingFiles(); len(names) != 0 {
				t.Errorf("Abort left %v in the staging directory", names)
			}
			f.nothingHeld()
		})
	}
}

// Truncating inside the part being filled is served in memory; down into
// part 1 it drops the upload (nothing uploaded is needed) and streams on;
// to 0 it starts over. None refuses.
func TestStreamTruncationsThatNeedNothingUploaded(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("t", nil)
	ctx := context.Background()
	data := pattern(3*testPart+600, 7)
	f.write(s, data, 0, 200)
	if err := s.Truncate(ctx, 3*testPart+100); err != nil { // inside part 4
		t.Fatal(err)
	}
	data = data[:3*testPart+100]
	f.commit(s, "t", data)

	s2 := f.session("t2", nil)
	f.write(s2, data, 0, 200)
	if err := s2.Truncate(ctx, 300); err != nil { // into part 1
		t.Fatal(err)
	}
	if f.store.Uploads() != 0 {
		t.Error("the upload of the truncated parts was not aborted")
	}
	more := pattern(2*testPart, 8)
	f.write(s2, more, 300, 100)
	f.commit(s2, "t2", append(data[:300:300], more...))
	f.nothingHeld()
}

// `>` on an existing file: a session on the object, truncated to 0, then
// written in order, streams; the old content is never downloaded.
func TestStreamTruncateToZeroStartsOver(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	base := f.object("k", pattern(5000, 9))
	s := f.session("k", base)
	if err := s.Truncate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	data := pattern(1800, 10)
	f.write(s, data, 0, 100)
	f.commit(s, "k", data)
	f.counts(map[string]int{memstore.OpPut: 1})

	// And after part 2 went up: the upload is aborted and the stream starts over.
	f.write(s, pattern(2500, 11), 0, 100) // the session is based on "k" now: staged
	s3 := f.session("k3", nil)
	f.write(s3, pattern(2500, 11), 0, 100)
	if err := s3.Truncate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	f.write(s3, data, 0, 100)
	f.commit(s3, "k3", data)
	f.nothingHeld()
}

// A file renamed while open is committed under its new name: straight
// there with one PUT; after its upload started under the old name, the
// upload is completed there, copied, and the old version deleted.
func TestStreamRenamedWhileOpen(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	small := pattern(1500, 12)
	s := f.session("old", nil)
	f.write(s, small, 0, 100)
	f.commit(s, "new", small)
	f.counts(map[string]int{memstore.OpPut: 1})

	f.store.ResetCounts()
	big := pattern(2500, 13)
	s2 := f.session("old2", nil)
	f.write(s2, big, 0, 100)
	mtime := testClock.Add(-time.Hour)
	obj, err := s2.Commit(context.Background(), "new2", s3backend.Meta{MTime: mtime})
	if err != nil {
		t.Fatal(err)
	}
	f.stored("new2", big)
	if _, ok := f.store.Data("old2"); ok || f.store.Versions("old2") != 0 {
		t.Errorf("the old name keeps %d versions", f.store.Versions("old2"))
	}
	if !obj.MTime.Equal(mtime) {
		t.Errorf("the moved object's mtime is %v, want %v (the copy stores it)", obj.MTime, mtime)
	}
	// The copy needs no HEAD: the upload's metadata is b2mount's alone
	// (Own).
	f.counts(map[string]int{memstore.OpCreate: 1, memstore.OpPart: 3, memstore.OpComplete: 1,
		memstore.OpCopy: 1, memstore.OpDelete: 1})
	f.nothingHeld()
}

// With B2's own part size: 13 MiB is create, three parts, complete; 9 MiB
// is one PUT.
func TestStreamWithRealPartSizes(t *testing.T) {
	f := newWriteFixture(t, 0, testBudget)
	f.store.SetMinPartSize(memstore.MinPartSize)
	data := pattern(13<<20, 14)
	s := f.session("big", nil)
	f.write(s, data, 0, 128<<10)
	f.commit(s, "big", data)
	f.counts(map[string]int{memstore.OpCreate: 1, memstore.OpPart: 3, memstore.OpComplete: 1})

	f.store.ResetCounts()
	s2 := f.session("nine", nil)
	f.write(s2, data[:9<<20], 0, 1<<20)
	f.commit(s2, "nine", data[:9<<20])
	f.counts(map[string]int{memstore.OpPut: 1})
	f.nothingHeld()
}

// Meta is stored when it is known at the upload's start: with a PUT, or a
// staged file's upload; a streamed upload started before Commit has none,
// and the returned object says so (the caller keeps the mtime itself).
func TestStreamMetaIsStoredWhenKnown(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	ctx := context.Background()
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		key  string
		size int
		want time.Time
	}{{"put", 1500, mtime}, {"streamed", 2500, time.Time{}}} {
		s := f.session(tc.key, nil)
		f.write(s, pattern(tc.size, 15), 0, 100)
		obj, err := s.Commit(ctx, tc.key, s3backend.Meta{MTime: mtime})
		if err != nil {
			t.Fatal(err)
		}
		head, err := f.store.Stat(ctx, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if !obj.MTime.Equal(tc.want) || !head.MTime.Equal(tc.want) {
			t.Errorf("%s: commit says mtime %v, the store %v; want %v", tc.key, obj.MTime, head.MTime, tc.want)
		}
	}
}
