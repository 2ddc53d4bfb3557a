package fs

import (
	"context"
	"io"

	"github.com/b2mount/b2mount/s3backend"
)

// stream is the content of a session that started empty and has been
// written in order (see writeSession): part 1 kept in memory until Commit,
// so that headers can be patched, the part being filled (part f), and the
// parts in between sealed and uploaded, or being uploaded, by up. The
// session's mutex guards it; no method waits or sends a request.
type stream struct {
	d    *writeDeps
	ctx  context.Context // the session's: the upload stops when it ends
	key  string          // where the upload goes
	lay  partLayout
	size int64
	f    int        // the part being filled: 1 while filling part 1
	p1   *partBuf   // part 1
	fill *partBuf   // part f, when f >= 2
	up   *multipart // the upload of parts 2.., from the time part 2 is sealed
	// short is the buffer that had no room when writeAt last returned
	// needMemory: the one spill moves to a file.
	short *partBuf
}

// newStream returns an empty stream whose upload, if it gets one, goes to
// key and stops when ctx ends.
func newStream(ctx context.Context, d *writeDeps, key string) *stream {
	return &stream{d: d, ctx: ctx, key: key, lay: d.layout(), f: 1, p1: &partBuf{}}
}

// verdict is what a stream does with an access.
type verdict int

const (
	serve   verdict = iota // in memory: the stream serves it
	restage                // not in order, nothing beyond part 1 sealed: move to a staged file
	rewind                 // a truncation into part 1: drop parts 2.. and stream on from part 1
	refuse                 // needs bytes already uploaded: errNotSequential
)

// sealed reports whether part 2 has been sealed (and the upload started):
// from then on the bytes between part 1 and part f exist only in B2.
func (st *stream) sealed() bool { return st.up != nil }

// touchesUploaded reports whether [off, end) needs bytes of the sealed
// parts 2..f-1.
func (st *stream) touchesUploaded(off, end int64) bool {
	return st.sealed() && off < st.lay.start(st.f) && end > st.lay.end(1)
}

// notInMemory is the verdict for an access the stream cannot serve.
func (st *stream) notInMemory() verdict {
	if st.sealed() {
		return refuse
	}
	return restage
}

// judgeWrite decides a write of [off, end): anything in part 1 or the part
// being filled, or that extends the content in order (a gap, if any,
// inside the part being filled), is served.
func (st *stream) judgeWrite(off, end int64) verdict {
	if st.touchesUploaded(off, end) || off > st.size && off > st.lay.end(st.f) {
		return st.notInMemory()
	}
	return serve
}

// judgeRead decides a read of [off, end) (within the content): served from
// memory once part 2 is sealed and the bytes are in part 1 or part f;
// before that, a program reading what it writes is taken for one that
// will go back and forth, and the content moves to a staged file.
func (st *stream) judgeRead(off, end int64) verdict {
	if !st.sealed() || st.touchesUploaded(off, end) {
		return st.notInMemory()
	}
	return serve
}

// judgeTruncate decides a truncation to size (not 0, not the current
// size). Before part 2 is sealed it restages. After, inside the part being
// filled it is served; down into part 1 it needs nothing uploaded: the
// upload is dropped and the stream goes on from part 1; elsewhere it is
// refused.
func (st *stream) judgeTruncate(size int64) verdict {
	switch {
	case !st.sealed():
		return restage
	case size >= st.lay.start(st.f) && size <= st.lay.end(st.f):
		return serve
	case size <= st.lay.end(1):
		return rewind
	}
	return refuse
}

// need is why writeAt stopped short.
type need int

const (
	needNothing need = iota
	needMemory       // no block for the next bytes: see writeSession.writeLocked
	needSlot         // partsInFlight parts in flight: wait for one to end
)

// writeAt writes what it can of p at off, a write judgeWrite serves, and
// returns how many bytes it wrote and, if not all, what it needs first.
func (st *stream) writeAt(p []byte, off int64) (int, need, error) {
	done := 0
	for done < len(p) {
		end := st.lay.end(st.f)
		if off >= end {
			if n, err := st.seal(); n != needNothing || err != nil {
				return done, n, err
			}
			continue
		}
		part, buf := st.f, st.fill
		if off < st.lay.end(1) {
			part, buf = 1, st.p1
			end = st.lay.end(1)
		} else if off < st.lay.start(st.f) {
			return done, needNothing, errNotSequential // judgeWrite refuses this
		}
		if buf == nil {
			b, err := st.newPart(part)
			if err != nil {
				return done, needNothing, err
			}
			st.fill, buf = b, b
		}
		k := int(min(int64(len(p)-done), end-off))
		at := off - st.lay.start(part)
		if !buf.room(st.d.pool, at, at+int64(k)) {
			st.short = buf
			return done, needMemory, nil
		}
		if err := buf.writeAt(p[done:done+k], at); err != nil {
			return done, needNothing, err
		}
		done, off = done+k, off+int64(k)
		st.size = max(st.size, off)
	}
	return done, needNothing, nil
}

// newPart returns an empty buffer for part n: a file above memPartMax.
func (st *stream) newPart(n int) (*partBuf, error) {
	if st.lay.size(n) > memPartMax {
		return newFilePart(st.d.staging)
	}
	return &partBuf{}, nil
}

// seal ends part f, full (zeros where never written): part 1 is kept,
// later parts are uploaded. It starts the upload at part 2.
func (st *stream) seal() (need, error) {
	if st.f == 1 {
		st.f = 2
		st.size = max(st.size, st.lay.end(1))
		return needNothing, st.p1.setLen(st.d.pool, st.lay.size(1))
	}
	if st.up == nil {
		// Meta is only known at Commit; the upload is created without it.
		st.up = newMultipart(st.ctx, st.d, st.key, s3backend.Meta{})
	}
	if n, _ := st.up.busy(); n >= partsInFlight {
		return needSlot, nil
	}
	buf := st.fill
	if buf == nil {
		buf = &partBuf{} // all zeros
	}
	if err := buf.setLen(st.d.pool, st.lay.size(st.f)); err != nil {
		return needNothing, err
	}
	pool := st.d.pool
	st.up.upload(st.f, buf.reader(), buf.n, func() { buf.release(pool) })
	st.fill = nil
	st.f++
	st.size = max(st.size, st.lay.start(st.f))
	return needNothing, nil
}

// spill moves the part that had no room to a file, for a sealed stream
// that needs memory, has none, and has no upload in flight to free some.
func (st *stream) spill() error {
	b := st.short
	st.short = nil
	return b.toFile(st.d.pool, st.d.staging)
}

// readAt reads [off, off+len(p)), within the content and served by
// judgeRead, from part 1 and part f.
func (st *stream) readAt(p []byte, off int64) error {
	for len(p) > 0 {
		part, buf, end := st.f, st.fill, st.lay.end(st.f)
		if off < st.lay.end(1) {
			part, buf, end = 1, st.p1, st.lay.end(1)
		} else if off < st.lay.start(st.f) {
			return errNotSequential // judgeRead refuses this
		}
		k := min(int64(len(p)), end-off)
		at := off - st.lay.start(part)
		if buf == nil {
			clear(p[:k])
		} else if n, err := buf.reader().ReadAt(p[:k], at); int64(n) < k && err != nil && err != io.EOF {
			return err
		} else {
			clear(p[n:k]) // past what the part holds: zeros
		}
		p, off = p[k:], off+k
	}
	return nil
}

// truncate sets the size to one judgeTruncate serves: inside part f.
func (st *stream) truncate(size int64) error {
	if st.fill == nil {
		st.fill = &partBuf{}
	}
	if err := st.fill.setLen(st.d.pool, size-st.lay.start(st.f)); err != nil {
		return err
	}
	st.size = size
	return nil
}

// dropUpload forgets parts 2.. (and the upload, returned for the caller to
// abort outside the lock), keeping part 1's bytes below size, which must
// be at most part 1's end.
func (st *stream) dropUpload(size int64) *multipart {
	up := st.up
	if st.fill != nil {
		st.fill.release(st.d.pool)
	}
	st.up, st.fill, st.f = nil, nil, 1
	_ = st.p1.setLen(st.d.pool, size) // memory: cannot fail
	st.size = size
	return up
}

// content reads the whole content (part 1, then part 2), for one Put; only
// before part 2 is sealed.
func (st *stream) content() io.ReaderAt {
	n1 := min(st.size, st.lay.end(1))
	c := concatReader{parts: []io.ReaderAt{st.p1.reader()}, sizes: []int64{n1}}
	if st.fill != nil && st.size > n1 {
		c.parts, c.sizes = append(c.parts, st.fill.reader()), append(c.sizes, st.size-n1)
	}
	return c
}

// release gives back every buffer the stream holds (not the parts in
// flight: their uploads do). The stream is unusable afterwards.
func (st *stream) release() {
	if st.p1 != nil {
		st.p1.release(st.d.pool)
	}
	if st.fill != nil {
		st.fill.release(st.d.pool)
	}
	st.p1, st.fill = nil, nil
}

// finish uploads part 1 and the tail (part f, unless empty), for Commit of
// a sealed stream; their buffers are released when sent.
func (st *stream) finish() {
	pool := st.d.pool
	p1, fill := st.p1, st.fill
	st.p1, st.fill = nil, nil
	st.up.upload(1, p1.reader(), p1.n, func() { p1.release(pool) })
	tail := st.size - st.lay.start(st.f)
	switch {
	case tail > 0 && fill == nil: // truncated up into an untouched part: zeros
		st.up.upload(st.f, blocksReader{n: tail}, tail, nil)
	case tail > 0:
		st.up.upload(st.f, fill.reader(), tail, func() { fill.release(pool) })
	case fill != nil:
		fill.release(pool)
	}
}
