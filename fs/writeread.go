package fs

import (
	"context"
	"fmt"
	"io"

	"github.com/b2mount/b2mount/s3backend"
)

// fetchChunk is how many bytes of the base a download copies into the
// staged file at a time.
const fetchChunk = 256 << 10

// ReadAt reads len(p) bytes at off into p, as io.ReaderAt does: fewer only
// at the end of the content, and then with io.EOF. It downloads the base
// bytes it needs (staged); a stream serves it from memory or moves to a
// staged file (see writeSession). Errors as WriteAt, and the store's.
func (s *writeSession) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, s.wrap("read", off, errBadOffset)
	}
	ctx, done, err := s.enter(ctx)
	if err != nil {
		return 0, s.wrap("read", off, err)
	}
	defer done()
	for {
		s.mu.Lock()
		step, err := s.readLocked(p, off)
		s.mu.Unlock()
		if step.up != nil {
			step.up.abort(context.WithoutCancel(ctx))
		}
		if err == nil && step.fetch != nil {
			err = step.fetch(ctx)
		}
		switch {
		case err != nil:
			return 0, s.wrap("read", off, err)
		case step.again || step.fetch != nil:
			continue
		case step.n < len(p):
			return step.n, io.EOF
		}
		return step.n, nil
	}
}

// readStep is what readLocked did, or what must happen first.
type readStep struct {
	n     int                             // bytes read
	again bool                            // nothing read: the content moved, read again
	fetch func(ctx context.Context) error // nothing read: download this, then read again
	up    *multipart                      // the session failed: abort this upload
}

// readLocked reads p at off, or says what must happen first.
func (s *writeSession) readLocked(p []byte, off int64) (readStep, error) {
	if s.err != nil {
		return readStep{}, s.err
	}
	size := s.sizeLocked()
	if off >= size {
		return readStep{}, nil
	}
	q := p[:min(int64(len(p)), size-off)]
	end := off + int64(len(q))
	if st := s.st; st != nil {
		switch st.judgeRead(off, end) {
		case serve:
			return readStep{n: len(q)}, st.readAt(q, off)
		case refuse:
			return readStep{up: s.failLocked(errNotSequential)}, errNotSequential
		}
		return readStep{again: true}, s.restageLocked()
	}
	sf := s.sf
	if gaps := sf.missing(off, end); len(gaps) > 0 {
		if err := sf.open(s.dirty); err != nil {
			return readStep{}, err
		}
		base := *sf.base
		return readStep{fetch: func(ctx context.Context) error { return s.fetch(ctx, sf, base, gaps) }}, nil
	}
	return readStep{n: len(q)}, sf.readAt(q, off)
}

// fetch downloads the ranges gaps of base into sf, pinned to base's ETag,
// fetchChunk bytes at a time, each written only where sf still lacks it.
// It stops early, without error, if the session let go of sf.
func (s *writeSession) fetch(ctx context.Context, sf *stagedFile, base s3backend.Object, gaps []span) error {
	buf := make([]byte, fetchChunk)
	for _, g := range gaps {
		rc, err := s.d.store.OpenRange(ctx, base.Key, base.ETag, g.lo, g.hi-g.lo)
		if err != nil {
			return fmt.Errorf("download base: %w", err)
		}
		for off := g.lo; off < g.hi; {
			k, err := io.ReadFull(rc, buf[:min(int64(len(buf)), g.hi-off)])
			s.mu.Lock()
			gone := s.sf != sf
			var werr error
			if !gone && k > 0 {
				werr = sf.fill(buf[:k], off)
			}
			s.mu.Unlock()
			off += int64(k)
			switch {
			case gone || werr != nil:
				rc.Close()
				return werr
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				err = fmt.Errorf("base %q ended at %d, before %d: %w", base.Key, off, g.hi, io.ErrUnexpectedEOF)
			}
			if err != nil {
				rc.Close()
				return fmt.Errorf("download base: %w", err)
			}
		}
		rc.Close()
	}
	return nil
}
