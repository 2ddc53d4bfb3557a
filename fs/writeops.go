package fs

import (
	"context"
	"fmt"
)

// WriteAt writes p at off (off >= 0), growing the content if it ends past
// it; a gap reads as zeros. Errors: errFileTooBig (nothing written),
// errNotSequential (see writeSession), a stagingError (the staging
// directory: a full disk is ENOSPC), the context's, errSessionClosed. A
// write that fails may have written a prefix of p.
func (s *writeSession) WriteAt(ctx context.Context, p []byte, off int64) error {
	if err := s.checkRange(off, off+int64(len(p))); err != nil || len(p) == 0 {
		return s.wrap("write", off, err)
	}
	ctx, done, err := s.enter(ctx)
	if err != nil {
		return s.wrap("write", off, err)
	}
	defer done()
	for len(p) > 0 {
		s.mu.Lock()
		k, waitFor, up, err := s.writeLocked(p, off)
		s.mu.Unlock()
		p, off = p[k:], off+int64(k)
		if up != nil {
			up.abort(context.WithoutCancel(ctx))
		}
		if err == nil && waitFor != nil {
			err = waitChan(ctx, waitFor)
		}
		if err != nil {
			return s.wrap("write", off, err)
		}
	}
	return nil
}

// writeLocked writes what it can of p at off and returns how many bytes it
// wrote, a channel to wait for before writing the rest, and an upload the
// caller must abort (the session failed).
func (s *writeSession) writeLocked(p []byte, off int64) (int, <-chan struct{}, *multipart, error) {
	if s.err != nil {
		return 0, nil, nil, s.err
	}
	if s.sf != nil {
		if err := s.sf.writeAt(p, off); err != nil {
			return 0, nil, nil, err
		}
		s.dirty = true
		return len(p), nil, nil, nil
	}
	st := s.st
	if st.sealed() {
		if err := st.up.failed(); err != nil { // the upload cannot complete: stop the writer now
			err = fmt.Errorf("%w: %v", errSessionFailed, err)
			return 0, nil, s.failLocked(err), err
		}
	}
	switch st.judgeWrite(off, off+int64(len(p))) {
	case restage:
		return 0, nil, nil, s.restageLocked()
	case refuse:
		return 0, nil, s.failLocked(errNotSequential), errNotSequential
	}
	k, need, err := st.writeAt(p, off)
	if k > 0 {
		s.dirty = true
	}
	if err != nil {
		return k, nil, nil, err
	}
	switch need {
	case needSlot:
		if n, changed := st.up.busy(); n >= partsInFlight {
			return k, changed, nil, nil
		}
	case needMemory:
		if !st.sealed() {
			return k, nil, nil, s.restageLocked()
		}
		if n, changed := st.up.busy(); n > 0 {
			return k, changed, nil, nil // the parts in flight give blocks back
		}
		return k, nil, nil, st.spill()
	}
	return k, nil, nil, nil
}

// Truncate sets the content's size; bytes past it are gone, and a longer
// content reads zeros there. Truncating to 0 starts the content over as a
// stream (the file written after `>` or O_TRUNC streams), ending any
// upload and staged file. Errors as WriteAt.
func (s *writeSession) Truncate(ctx context.Context, size int64) error {
	if err := s.checkRange(size, size); err != nil {
		return s.wrap("truncate", size, err)
	}
	ctx, done, err := s.enter(ctx)
	if err != nil {
		return s.wrap("truncate", size, err)
	}
	defer done()
	for {
		s.mu.Lock()
		again, st, sf, err := s.truncateLocked(size)
		s.mu.Unlock()
		s.discard(context.WithoutCancel(ctx), st, sf)
		if err != nil {
			return s.wrap("truncate", size, err)
		}
		if !again {
			return nil
		}
	}
}

// truncateLocked truncates, or reports that it must be tried again (the
// content was moved to a staged file first); it returns what the caller
// must discard outside the lock.
func (s *writeSession) truncateLocked(size int64) (again bool, _ *stream, _ *stagedFile, _ error) {
	switch {
	case s.err != nil:
		return false, nil, nil, s.err
	case size == s.sizeLocked():
		return false, nil, nil, nil
	case size == 0:
		st, sf := s.st, s.sf
		s.st, s.sf, s.dirty = newStream(s.ctx, s.d, s.key), nil, true
		return false, st, sf, nil
	case s.sf != nil:
		err := s.sf.truncate(size)
		s.dirty = s.dirty || err == nil
		return false, nil, nil, err
	}
	st := s.st
	switch st.judgeTruncate(size) {
	case serve:
		s.dirty = true
		return false, nil, nil, st.truncate(size)
	case rewind:
		s.dirty = true
		return false, &stream{d: s.d, up: st.dropUpload(size)}, nil, nil
	case restage:
		return true, nil, nil, s.restageLocked()
	}
	return false, &stream{d: s.d, up: s.failLocked(errNotSequential)}, nil, errNotSequential
}
