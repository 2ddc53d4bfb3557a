package fs

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// Commit makes the content the object key, and returns it; the session is
// then clean and based on that object, and may be written and committed
// again. It runs alone: calls that arrive meanwhile wait for it.
//
//   - A clean session returns its object (the base, or the last commit's)
//     without a request, whatever key.
//   - Content up to two parts (partLayout.putLimit) is one PutObject with
//     meta; a failure leaves the session as it was, to be committed again.
//   - A stream that sealed part 2 uploads part 1 and the tail, waits for
//     every part, and completes the upload; its upload was created before
//     meta was known, so the object keeps the meta it was created with
//     (none), except when it must be moved (below). Any failure aborts
//     the upload, and the session fails for good (errSessionFailed).
//   - A staged content is completed from the base (ranged GETs pinned to
//     its ETag: a replaced base is s3backend.ErrChanged), then uploaded
//     from the file: one PutObject, or a multipart upload with meta and
//     partsInFlight parts in flight. A failure aborts the upload and
//     leaves the session as it was. The staged file stays, holding the
//     new object's content, so later changes download nothing.
//
// key may differ from the session's key (the file was renamed while open):
// the object is stored as key. A stream that already started its upload
// completes it under the old key, copies the object to key (with meta)
// and deletes the copied version under the old key; if the copy fails,
// the object under the old key is deleted.
//
// The returned Object's MTime is what was stored with it; a caller that
// wanted another keeps it itself. Nothing partial is ever left under key.
func (s *writeSession) Commit(ctx context.Context, key string, meta s3backend.Meta) (s3backend.Object, error) {
	ctx, done, err := s.enterCommit(ctx)
	if err != nil {
		return s3backend.Object{}, fmt.Errorf("commit %q: %w", key, err)
	}
	defer done()
	s.mu.Lock()
	failed, clean, st, sf := s.err, !s.dirty && s.obj != nil, s.st, s.sf
	var obj s3backend.Object
	if clean {
		obj = *s.obj
	}
	s.mu.Unlock()
	switch {
	case failed != nil:
		return s3backend.Object{}, fmt.Errorf("commit %q: %w: %v", key, errSessionFailed, failed)
	case clean:
		return obj, nil
	case st != nil:
		obj, err = s.commitStream(ctx, st, key, meta)
	default:
		obj, err = s.commitStaged(ctx, sf, key, meta)
	}
	if err != nil {
		return s3backend.Object{}, fmt.Errorf("commit %q: %w", key, err)
	}
	return obj, nil
}

// commitStream commits a stream (see Commit).
func (s *writeSession) commitStream(ctx context.Context, st *stream, key string, meta s3backend.Meta) (s3backend.Object, error) {
	if !st.sealed() {
		obj, err := s.d.store.Put(ctx, key, st.content(), st.size, meta)
		if err != nil {
			return obj, err
		}
		obj = s.stored(obj, meta)
		s.mu.Lock()
		defer s.mu.Unlock()
		st.release()
		s.basedLocked(obj, key)
		return obj, nil
	}
	s.mu.Lock()
	st.finish()
	s.mu.Unlock()
	obj, err := st.up.complete(ctx)
	stored := st.up.meta
	if err != nil {
		st.up.abort(context.WithoutCancel(ctx))
	} else if key != st.key {
		obj, err = s.move(ctx, obj, key, meta)
		stored = meta
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.release()
	if err != nil {
		s.err = fmt.Errorf("%w: %v", errSessionFailed, err)
		return obj, err
	}
	obj = s.stored(obj, stored)
	s.basedLocked(obj, key)
	return obj, nil
}

// move copies obj, just completed under the session's old key, to key
// with meta, and deletes the version copied; if the copy fails, it deletes
// obj, whose name the file no longer has.
func (s *writeSession) move(ctx context.Context, obj s3backend.Object, key string, meta s3backend.Meta) (s3backend.Object, error) {
	moved, version, err := s.d.store.Copy(ctx, obj, key, &meta)
	if err != nil {
		if derr := s.d.store.Delete(context.WithoutCancel(ctx), obj.Key, obj.VersionID); derr != nil {
			s.d.log.Warn("write: delete the object left under the old name", "key", obj.Key, "err", derr)
		}
		return moved, err
	}
	if version == "" {
		version = obj.VersionID
	}
	if err := s.d.store.Delete(ctx, obj.Key, version); err != nil {
		s.d.log.Warn("write: delete the object left under the old name", "key", obj.Key, "err", err)
	}
	return moved, nil
}

// basedLocked makes obj, just stored as key, the clean content's base.
func (s *writeSession) basedLocked(obj s3backend.Object, key string) {
	s.obj, s.key, s.dirty = &obj, key, false
	s.st, s.sf = nil, newStagedFile(s.d, key, &obj, obj.Size)
}

// stored is obj as the store returned it, with the meta stored and, if the
// answer had none, the local time.
func (s *writeSession) stored(obj s3backend.Object, meta s3backend.Meta) s3backend.Object {
	obj.MTime = meta.MTime
	if obj.ModTime.IsZero() {
		obj.ModTime = s.d.clock().Truncate(time.Second)
	}
	return obj
}

// commitStaged commits a staged content (see Commit).
func (s *writeSession) commitStaged(ctx context.Context, sf *stagedFile, key string, meta s3backend.Meta) (s3backend.Object, error) {
	s.mu.Lock()
	size, gaps := sf.size, sf.missing(0, sf.size)
	err := sf.open(true)
	var base s3backend.Object
	if sf.base != nil {
		base = *sf.base
	}
	body := sf.reader()
	s.mu.Unlock()
	if err != nil {
		return s3backend.Object{}, err
	}
	if err := s.fetch(ctx, sf, base, gaps); err != nil {
		return s3backend.Object{}, err
	}
	var obj s3backend.Object
	if size <= s.lay.putLimit() {
		obj, err = s.d.store.Put(ctx, key, body, size, meta)
	} else {
		obj, err = s.uploadFile(ctx, key, meta, body, size)
	}
	if err != nil {
		return obj, err
	}
	obj = s.stored(obj, meta)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := sf.committed(obj, key); err != nil {
		s.d.log.Warn("write: update sidecar", "key", key, "err", err)
	}
	s.obj, s.key, s.dirty = &obj, key, false
	return obj, nil
}

// uploadFile uploads size bytes of body as key in parts, partsInFlight at
// a time, aborting the upload on failure.
func (s *writeSession) uploadFile(ctx context.Context, key string, meta s3backend.Meta, body io.ReaderAt, size int64) (s3backend.Object, error) {
	m := newMultipart(ctx, s.d, key, meta)
	var err error
	for n := 1; s.lay.start(n) < size && err == nil; n++ {
		if err = m.waitBelow(ctx, partsInFlight); err == nil {
			err = m.failed()
		}
		if err == nil {
			off := s.lay.start(n)
			sz := min(s.lay.size(n), size-off)
			m.upload(n, io.NewSectionReader(body, off, sz), sz, nil)
		}
	}
	if err == nil {
		var obj s3backend.Object
		if obj, err = m.complete(ctx); err == nil {
			return obj, nil
		}
	}
	m.abort(context.WithoutCancel(ctx))
	return s3backend.Object{}, err
}
