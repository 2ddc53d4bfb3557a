package fs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// writeDeps is what every write session of a mount shares.
type writeDeps struct {
	store   WriteStore
	pool    *bufPool      // the mount's memory budget, shared with reads
	staging string        // directory of staged files and of parts buffered in files
	journal uploadJournal // records the multipart uploads sessions start and end
	clock   func() time.Time
	log     *slog.Logger
	// firstPart is the size of the parts of the first tier (see
	// partLayout); 0 is defaultFirstPart (5 MiB), and it is at most
	// memPartMax (16 MiB): part 1 is always kept in memory. Tests lower
	// it, with memstore.SetMinPartSize.
	firstPart int64
}

func (d *writeDeps) layout() partLayout {
	if d.firstPart <= 0 {
		return partLayout{first: defaultFirstPart}
	}
	return partLayout{first: min(d.firstPart, memPartMax)}
}

// uploadJournal records the multipart uploads a mount starts and ends, so
// that the next mount can abort those a crash left behind. Implementations
// are safe for concurrent use.
type uploadJournal interface {
	// started records up before its first part is sent; an error aborts
	// the upload and fails the commit.
	started(up s3backend.Upload) error
	// finished records that up was completed or aborted.
	finished(up s3backend.Upload)
}

// writeSession owns the content of one file handle open for writing, from
// open to commit: a handle gets its own, so two writers of one file never
// mix; each commit stores one writer's whole content (the last wins).
//
// Nothing is sent or downloaded when a session starts. Its content is
// either streamed or staged:
//
//   - Streamed, while the content started empty (a created file, or
//     truncated to 0) and has been written in order: bytes fill parts in
//     the mount's memory budget (partLayout gives their sizes). Part 1 is
//     kept until Commit, so a program may go back and patch it (headers);
//     the part being filled may be patched too. From part 2 on, each part
//     is uploaded as soon as the next byte past it is written, several in
//     parallel, to a multipart upload created at the first of them (and
//     recorded in the journal). Content that never goes past part 2 is
//     one PutObject at Commit, straight from memory.
//   - Staged, otherwise: a sparse file in the staging directory (see
//     stagedFile) that holds what was written, while the bytes of the base
//     object not yet needed stay in B2 until a read or Commit downloads
//     them (ranged GETs pinned to the base's ETag: a replaced base fails
//     with s3backend.ErrChanged).
//
// Before part 2 is sealed, an access a stream does not serve in memory (a
// read, a truncation, a write that leaves a gap past the part being
// filled) moves the content to a staged file, without a request. Once
// part 2 is sealed, the bytes between part 1 and the part being filled
// exist only in an unfinished upload, which cannot be read back: reads and
// writes of part 1 and of the part being filled are still served from
// memory, a truncation inside the part being filled too, and a truncation
// into part 1 drops the upload (nothing uploaded is needed) and streams on
// from part 1; but an access that needs the uploaded bytes (a read or
// write between part 1 and the part being filled, a truncation there, a
// gap past the part being filled) fails with errNotSequential, and so
// does every later access: the upload is aborted and nothing is ever
// committed from the session (Commit fails with errSessionFailed). A part
// whose upload failed makes the next write fail the same way, with
// errSessionFailed. The stream's judge methods hold the exact rules.
//
// Memory: a stream that cannot get a block for its next bytes waits while
// uploads of its own are in flight (they give their blocks back when they
// end); with none in flight it moves to a staged file if nothing beyond
// part 1 was uploaded, and otherwise buffers the part in a file of the
// staging directory instead: it never waits for another file's memory, so
// sessions cannot deadlock each other.
//
// Safe for concurrent use. Calls run concurrently and each holds mu only
// to change the state, around copies in memory and local file I/O, never
// across a request or a wait; Commit runs alone (calls that arrive wait
// for it, calls in progress are waited for). Abort stops everything.
type writeSession struct {
	d      *writeDeps
	lay    partLayout
	ctx    context.Context // ended by Abort: stops every request and wait
	cancel context.CancelFunc

	mu    sync.Mutex // guards the fields below
	key   string     // where the content goes: the first key, then the last Commit's
	obj   *s3backend.Object
	dirty bool        // the content differs from obj, or there is no obj yet
	st    *stream     // the content, streamed; or
	sf    *stagedFile // the content, staged
	err   error       // why the session failed for good: every call returns it
	// The gate between calls and Commit.
	active     int           // calls in progress
	idle       chan struct{} // closed when active drops to 0, for a Commit or Abort waiting
	committing chan struct{} // not nil while Commit runs; closed when it ends
	closed     bool          // Abort was called
}

// newWriteSession starts the session of a handle of key whose content is
// base's (opened for writing), or empty (base nil: a created file). It
// sends nothing. A session with a base is clean until changed; one
// without is dirty (a new empty file is an object to create).
func newWriteSession(d *writeDeps, key string, base *s3backend.Object) *writeSession {
	ctx, cancel := context.WithCancel(context.Background())
	s := &writeSession{d: d, lay: d.layout(), ctx: ctx, cancel: cancel, key: key}
	if base == nil {
		s.st, s.dirty = newStream(ctx, d, key), true
	} else {
		b := *base
		s.obj, s.sf = &b, newStagedFile(d, key, &b, b.Size)
	}
	return s
}

// Size is the content's size.
func (s *writeSession) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sizeLocked()
}

func (s *writeSession) sizeLocked() int64 {
	if s.st != nil {
		return s.st.size
	}
	if s.sf != nil {
		return s.sf.size
	}
	return 0
}

// Dirty reports whether the content has not been committed: changed since
// the base or the last Commit, a new file never committed, or a session
// that failed.
func (s *writeSession) Dirty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirty || s.err != nil
}

// BaseMoved tells a session that the object its content is based on (the
// base, or what the last Commit stored) is now obj: the same bytes under
// another key or version, as a rename's server-side copy leaves them.
// Later downloads of base bytes read obj, and Commit of a clean session
// returns it.
func (s *writeSession) BaseMoved(obj s3backend.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.obj != nil {
		s.obj = &obj
	}
	if s.sf != nil && s.sf.base != nil {
		s.sf.base = &obj
	}
}

// checkRange refuses a negative offset, and content past what 10,000
// parts hold (EFBIG), before anything changes.
func (s *writeSession) checkRange(off, end int64) error {
	switch {
	case off < 0:
		return errBadOffset
	case end > s.lay.maxSize():
		return errFileTooBig
	}
	return nil
}

// failLocked makes err the session's for good, and frees the stream's
// memory; it returns the upload for the caller to abort.
func (s *writeSession) failLocked(err error) *multipart {
	s.err = err
	up := s.st.up
	s.st.up = nil
	s.st.release()
	return up
}

// discard aborts st's upload and frees st's memory and sf's files (either
// may be nil), outside the lock.
func (s *writeSession) discard(ctx context.Context, st *stream, sf *stagedFile) {
	if st != nil {
		if st.up != nil {
			st.up.abort(ctx)
		}
		st.release()
	}
	if sf != nil {
		sf.remove()
	}
}

// restageLocked moves a stream that sealed nothing beyond part 1 to a new
// staged file, without a request. On failure the stream is as it was.
func (s *writeSession) restageLocked() error {
	st := s.st
	sf := newStagedFile(s.d, s.key, nil, st.size)
	if err := sf.open(true); err != nil {
		return err
	}
	n1 := min(st.size, st.lay.end(1))
	err := st.p1.copyTo(sf.file, 0, n1)
	if err == nil && st.fill != nil && st.size > n1 {
		err = st.fill.copyTo(sf.file, n1, st.size-n1)
	}
	if err != nil {
		sf.remove()
		return err
	}
	st.release()
	s.st, s.sf = nil, sf
	s.d.log.Debug("write: staged", "key", s.key, "size", sf.size)
	return nil
}

// wrap says which call on which key failed, and where.
func (s *writeSession) wrap(op string, off int64, err error) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	return fmt.Errorf("%s %q at %d: %w", op, key, off, err)
}
