package memstore

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// The write requests Count and Counts report.
const (
	OpPut         = "PUT"         // Put
	OpCreate      = "CREATE"      // CreateUpload
	OpPart        = "PART"        // UploadPart
	OpComplete    = "COMPLETE"    // CompleteUpload
	OpAbort       = "ABORT"       // AbortUpload
	OpListUploads = "LISTUPLOADS" // ListUploads
	OpCopy        = "COPY"        // Copy
	OpDelete      = "DELETE"      // Delete, and each version DeleteAllVersions deletes
)

// SetFault sets a hook called at the start of every write request (op is
// one of the write Op* constants); its error fails the request before it
// changes anything, as a server error would. nil removes it.
func (m *Store) SetFault(fn func(op, key string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = fn
}

// Versions is how many versions of key the store keeps: the current one,
// the older and hidden ones, all of which B2 bills, and the delete
// markers.
func (m *Store) Versions(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.history[key])
	if _, ok := m.objs[key]; ok {
		n++
	}
	return n
}

// Uploads is how many multipart uploads are unfinished.
func (m *Store) Uploads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.uploads)
}

// Data returns the current content of key, out of band.
func (m *Store) Data(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	return o.data, ok
}

// begin counts a write request and runs the fault hook; m.mu must be held.
func (m *Store) beginLocked(op, key string) error {
	m.counts[op]++
	if m.deniedLocked(key) {
		return s3backend.ErrAccessDenied
	}
	if m.fault != nil {
		return m.fault(op, key)
	}
	return nil
}

// storeLocked makes o the current version of key, keeping the one it
// replaces as an older version; m.mu must be held.
func (m *Store) storeLocked(key string, o object) object {
	m.versions++
	o.version = "v" + strconv.Itoa(m.versions)
	if old, ok := m.objs[key]; ok {
		m.history[key] = append(m.history[key], old)
	}
	m.objs[key] = o
	return o
}

// inMillis is t as a store keeps an MTime: in whole milliseconds.
func inMillis(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func md5ETag(data []byte) string { return fmt.Sprintf("%q", fmt.Sprintf("%x", md5.Sum(data))) }

// describe is o as an s3backend.Object under key.
func (o object) describe(key string) s3backend.Object {
	return s3backend.Object{Key: key, Size: int64(len(o.data)), ModTime: o.modTime, ETag: o.etag,
		MTime: o.mtime, VersionID: o.version}
}

// readAll reads size bytes of body from its start.
func readAll(body io.ReaderAt, size int64) ([]byte, error) {
	data := make([]byte, size)
	if _, err := body.ReadAt(data, 0); err != nil && !(err == io.EOF && size == 0) {
		if n, _ := io.ReadFull(io.NewSectionReader(body, 0, size), data); int64(n) != size {
			return nil, fmt.Errorf("body shorter than %d bytes: %w", size, err)
		}
	}
	return data, nil
}

// Put stores body as key.
func (m *Store) Put(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error) {
	data, err := readAll(body, size)
	if err != nil {
		return s3backend.Object{}, fmt.Errorf("put %q: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpPut, key); err != nil {
		return s3backend.Object{}, fmt.Errorf("put %q: %w", key, err)
	}
	o := m.storeLocked(key, object{data: data, etag: md5ETag(data), modTime: ModTime, mtime: inMillis(meta.MTime)})
	d := o.describe(key)
	d.Own = true
	return d, nil
}

// Copy copies src, pinned to src.ETag, to dst. Like the client, it
// counts a HEAD besides the COPY when meta is given (the client reads
// the source's metadata to keep all but the MTime) and the source is not
// Own, or src is larger than one CopyObject copies; and its answer is Own
// when the client's would be.
func (m *Store) Copy(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	big := src.Size > s3backend.CopyLimit
	if (meta != nil && !src.Own) || big {
		m.counts[OpHead]++ // the client reads the source's metadata first
	}
	if err := m.beginLocked(OpCopy, dst); err != nil {
		return s3backend.Object{}, "", fmt.Errorf("copy %q to %q: %w", src.Key, dst, err)
	}
	if m.deniedLocked(src.Key) {
		return s3backend.Object{}, "", fmt.Errorf("copy %q to %q: %w", src.Key, dst, s3backend.ErrAccessDenied)
	}
	o, ok := m.objs[src.Key]
	switch {
	case !ok && src.ETag == "":
		return s3backend.Object{}, "", fmt.Errorf("copy %q to %q: %w", src.Key, dst, s3backend.ErrNotExist)
	case !ok || (src.ETag != "" && !s3backend.SameETag(src.ETag, o.etag)):
		return s3backend.Object{}, "", fmt.Errorf("copy %q to %q: %w", src.Key, dst, s3backend.ErrChanged)
	}
	c := object{data: o.data, etag: o.etag, modTime: ModTime, mtime: o.mtime}
	if meta != nil {
		c.mtime = inMillis(meta.MTime)
	}
	c = m.storeLocked(dst, c)
	d := c.describe(dst)
	d.Own = src.Own && !big
	return d, o.version, nil
}

// Delete hides key (versionID ""): the current version becomes an older
// one and a delete marker (B2: a hide marker) goes on top, as B2 and
// versioned S3 buckets do. With a version id it deletes that version
// (or marker) for good; when that was the newest, the next newest version
// becomes current again, unless it is a marker. A key or version that is
// not there is no error.
func (m *Store) Delete(ctx context.Context, key, versionID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpDelete, key); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	if versionID == "" {
		if o, ok := m.objs[key]; ok {
			delete(m.objs, key)
			m.versions++
			m.history[key] = append(m.history[key], o, object{marker: true, version: "v" + strconv.Itoa(m.versions)})
		}
		return nil
	}
	if o, ok := m.objs[key]; ok && o.version == versionID {
		delete(m.objs, key)
	} else {
		h := m.history[key]
		if i := slices.IndexFunc(h, func(o object) bool { return o.version == versionID }); i >= 0 {
			m.history[key] = slices.Delete(h, i, i+1)
		}
	}
	h := m.history[key]
	if _, ok := m.objs[key]; !ok && len(h) > 0 && !h[len(h)-1].marker {
		m.objs[key] = h[len(h)-1]
		h = h[:len(h)-1]
	}
	m.history[key] = h
	if len(h) == 0 {
		delete(m.history, key)
	}
	return nil
}

// DeleteAllVersions deletes key and every older version and marker of it.
func (m *Store) DeleteAllVersions(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpDelete, key); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	delete(m.objs, key)
	delete(m.history, key)
	return nil
}
