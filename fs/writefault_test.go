package fs

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// failOn makes every write request op fail as a server that is down.
func (f *writeFixture) failOn(op string) {
	f.store.SetFault(func(o, key string) error {
		if o == op {
			return fmt.Errorf("%s %q: %w", o, key, s3backend.ErrUnavailable)
		}
		return nil
	})
}

// writeAll writes data from 0 in order, 100 bytes a time, until a write
// fails.
func (f *writeFixture) writeAll(s *writeSession, data []byte) error {
	for off := 0; off < len(data); off += 100 {
		if err := s.WriteAt(context.Background(), data[off:min(len(data), off+100)], int64(off)); err != nil {
			return err
		}
	}
	return nil
}

// A failed request of a streamed file's upload (create, a part, the
// complete) fails Commit with EIO, aborts the upload, and stores nothing;
// the session cannot be committed any more.
func TestWriteFaultInAStreamedUpload(t *testing.T) {
	for _, op := range []string{memstore.OpCreate, memstore.OpPart, memstore.OpComplete} {
		t.Run(op, func(t *testing.T) {
			f := newWriteFixture(t, testPart, testBudget)
			f.failOn(op)
			s := f.session("k", nil)
			if err := f.writeAll(s, pattern(2500, 60)); err != nil && toErrno(err) != syscall.EIO {
				t.Fatalf("write: %v (%v), want success or EIO", err, toErrno(err))
			}
			_, err := s.Commit(context.Background(), "k", s3backend.Meta{})
			if err == nil || toErrno(err) != syscall.EIO {
				t.Fatalf("commit: %v (%v), want EIO", err, toErrno(err))
			}
			if _, ok := f.store.Data("k"); ok {
				t.Error("something was stored")
			}
			if _, err := s.Commit(context.Background(), "k", s3backend.Meta{}); !errors.Is(err, errSessionFailed) {
				t.Errorf("second commit: %v, want errSessionFailed", err)
			}
			f.nothingHeld()
		})
	}
}

// A part that failed stops the writer at its next write (EIO), rather
// than at close after the whole file was written.
func TestWriteFaultStopsTheWriterEarly(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	f.failOn(memstore.OpPart)
	s := f.session("k", nil)
	f.write(s, pattern(2001, 61), 0, 100) // part 2 sealed
	if !waitUntil(func() bool { return f.store.Count(memstore.OpPart) == 1 }) {
		t.Fatal("part 2 was not sent")
	}
	waitUntil(func() bool { n, _ := s.st.up.busy(); return n == 0 })
	err := s.WriteAt(context.Background(), []byte("more"), 2001)
	if !errors.Is(err, errSessionFailed) || toErrno(err) != syscall.EIO {
		t.Errorf("write after a failed part: %v, want errSessionFailed (EIO)", err)
	}
	f.nothingHeld()
}

// A failed PUT leaves the session as it was: the next Commit stores it.
func TestWriteFaultInAPutCanBeRetried(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	f.failOn(memstore.OpPut)
	s := f.session("k", nil)
	data := pattern(1500, 62)
	f.write(s, data, 0, 100)
	if _, err := s.Commit(context.Background(), "k", s3backend.Meta{}); toErrno(err) != syscall.EIO {
		t.Fatalf("commit: %v, want EIO", err)
	}
	if _, ok := f.store.Data("k"); ok || !s.Dirty() {
		t.Fatal("a failed PUT stored something, or the session forgot its content")
	}
	f.store.SetFault(nil)
	f.commit(s, "k", data)
	f.nothingHeld()
}

// A staged file whose upload fails is aborted and kept: the next Commit
// uploads it.
func TestWriteFaultInAStagedUploadCanBeRetried(t *testing.T) {
	for _, op := range []string{memstore.OpCreate, memstore.OpPart, memstore.OpComplete} {
		t.Run(op, func(t *testing.T) {
			f := newWriteFixture(t, testPart, testBudget)
			old := pattern(4000, 63)
			s := f.session("k", f.object("k", old))
			f.write(s, []byte("new"), 3000, 3)
			f.failOn(op)
			if _, err := s.Commit(context.Background(), "k", s3backend.Meta{}); toErrno(err) != syscall.EIO {
				t.Fatalf("commit: %v, want EIO", err)
			}
			f.stored("k", old)
			if f.store.Uploads() != 0 {
				t.Error("the failed upload was not aborted")
			}
			f.store.SetFault(nil)
			copy(old[3000:], "new")
			f.commit(s, "k", old)
			f.nothingHeld()
		})
	}
}

// An upload the journal cannot record is aborted: the commit fails.
func TestWriteFaultInTheJournal(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	f.journal.fail = errors.New("journal: disk full")
	s := f.session("k", nil)
	f.writeAll(s, pattern(2500, 64)) // may fail once the upload did
	if _, err := s.Commit(context.Background(), "k", s3backend.Meta{}); err == nil {
		t.Fatal("commit succeeded with an upload the journal did not record")
	}
	if f.store.Uploads() != 0 {
		t.Error("the unrecorded upload was not aborted")
	}
	if _, ok := f.store.Data("k"); ok {
		t.Error("something was stored")
	}
}

// Abort stops the parts in flight, aborts the upload, and gives
// everything back.
func TestWriteAbortStopsUploadsInFlight(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	g, open := f.gate()
	defer open()
	s := newWriteSession(f.deps, "k", nil)
	f.write(s, pattern(4500, 65), 0, 100)
	if !waitUntil(func() bool { return g.held() == 3 }) {
		t.Fatalf("%d parts in flight, want 3", g.held())
	}
	done := make(chan struct{})
	go func() { s.Abort(); close(done) }()
	select {
	case <-done:
	case <-time.After(hangBound):
		t.Fatal("Abort hangs on parts in flight")
	}
	if err := s.WriteAt(context.Background(), []byte("x"), 4500); !errors.Is(err, errSessionClosed) {
		t.Errorf("write after Abort: %v, want errSessionClosed", err)
	}
	if _, ok := f.store.Data("k"); ok {
		t.Error("something was stored")
	}
	f.nothingHeld()
}
