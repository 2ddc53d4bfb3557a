package fs

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// Once part 2 is sealed its bytes exist only in an unfinished upload: an
// access that needs them is refused with EINVAL, every later access too,
// the upload is aborted, Commit fails with EIO, and nothing is stored.
func TestStreamRefusesWhatNeedsUploadedBytes(t *testing.T) {
	ctx := context.Background()
	// The content is 3,500 bytes: part 1 kept, parts 2 and 3 uploaded,
	// part 4 being filled (3,000..4,000).
	for name, access := range map[string]func(s *writeSession) error{
		"write into part 2":          func(s *writeSession) error { return s.WriteAt(ctx, []byte("x"), 1500) },
		"write across part 1's end":  func(s *writeSession) error { return s.WriteAt(ctx, []byte("xy"), testPart-1) },
		"read part 3":                func(s *writeSession) error { _, err := s.ReadAt(ctx, make([]byte, 10), 2500); return err },
		"truncate into part 3":       func(s *writeSession) error { return s.Truncate(ctx, 2500) },
		"gap past the filling part":  func(s *writeSession) error { return s.WriteAt(ctx, []byte("x"), 4001) },
		"grow past the filling part": func(s *writeSession) error { return s.Truncate(ctx, 4001) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newWriteFixture(t, testPart, testBudget)
			s := f.session("k", nil)
			f.write(s, pattern(3500, 20), 0, 100)
			err := access(s)
			if !errors.Is(err, errNotSequential) || toErrno(err) != syscall.EINVAL {
				t.Fatalf("got %v (%v), want errNotSequential, EINVAL", err, toErrno(err))
			}
			if err := s.WriteAt(ctx, []byte("more"), 3500); !errors.Is(err, errNotSequential) {
				t.Errorf("a write in order after the refusal: %v, want errNotSequential", err)
			}
			if _, err := s.ReadAt(ctx, make([]byte, 4), 0); !errors.Is(err, errNotSequential) {
				t.Errorf("a read of part 1 after the refusal: %v, want errNotSequential", err)
			}
			if !s.Dirty() {
				t.Error("a failed session says it is clean")
			}
			if f.store.Uploads() != 0 {
				t.Error("the upload was not aborted when the session failed")
			}
			_, err = s.Commit(ctx, "k", s3backend.Meta{})
			if !errors.Is(err, errSessionFailed) || toErrno(err) != syscall.EIO {
				t.Errorf("commit: %v (%v), want errSessionFailed, EIO", err, toErrno(err))
			}
			if _, ok := f.store.Data("k"); ok {
				t.Error("something was stored from a failed session")
			}
			f.nothingHeld()
		})
	}
}

// Before part 2 is sealed nothing is refused: the same accesses stage.
func TestStreamRefusesNothingBeforeSealing(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("k", nil)
	data := pattern(1900, 21)
	f.write(s, data, 0, 100)
	f.write(s, []byte("x"), 1500, 1)
	data[1500] = 'x'
	if err := s.Truncate(ctx, 1800); err != nil {
		t.Fatal(err)
	}
	f.commit(s, "k", data[:1800])
}
