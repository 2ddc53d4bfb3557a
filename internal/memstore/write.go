package memstore

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
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

// MinPartSize is the smallest part but the last that CompleteUpload
// accepts by default: B2's (and S3's) 5 MB.
const MinPartSize = 5_000_000

// upload is an unfinished multipart upload.
type upload struct {
	key       string
	meta      s3backend.Meta
	parts     map[int32][]byte
	initiated time.Time
}

// SetMinPartSize changes the smallest part but the last that
// CompleteUpload accepts (default MinPartSize), for tests of the upload
// logic with small parts.
func (m *Store) SetMinPartSize(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.minPartSize = n
}

// SetFault sets a hook called at the start of every write request (op is
// one of the write Op* constants); its error fails the request before it
// changes anything, as a server error would. nil removes it.
func (m *Store) SetFault(fn func(op, key string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = fn
}

// Versions is how many versions of key the store keeps: the current one
// and the older and hidden ones, all of which B2 bills.
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
	o := m.storeLocked(key, object{data: data, etag: md5ETag(data), modTime: ModTime, mtime: meta.MTime})
	return o.describe(key), nil
}

// CreateUpload starts a multipart upload of key.
func (m *Store) CreateUpload(ctx context.Context, key string, meta s3backend.Meta) (s3backend.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpCreate, key); err != nil {
		return s3backend.Upload{}, fmt.Errorf("create upload %q: %w", key, err)
	}
	m.versions++
	id := "up" + strconv.Itoa(m.versions)
	m.uploads[id] = &upload{key: key, meta: meta, parts: map[int32][]byte{}, initiated: ModTime}
	return s3backend.Upload{Key: key, ID: id, Initiated: ModTime}, nil
}

// UploadPart stores part n of up.
func (m *Store) UploadPart(ctx context.Context, up s3backend.Upload, n int32, body io.ReaderAt, size int64) (s3backend.Part, error) {
	data, err := readAll(body, size)
	if err != nil {
		return s3backend.Part{}, fmt.Errorf("upload part %d of %q: %w", n, up.Key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpPart, up.Key); err != nil {
		return s3backend.Part{}, fmt.Errorf("upload part %d of %q: %w", n, up.Key, err)
	}
	u, ok := m.uploads[up.ID]
	switch {
	case !ok || u.key != up.Key:
		return s3backend.Part{}, fmt.Errorf("upload part %d of %q: no such upload %q: %w", n, up.Key, up.ID, s3backend.ErrNotExist)
	case n < 1 || n > 10_000:
		return s3backend.Part{}, fmt.Errorf("upload part %d of %q: part number out of 1..10000", n, up.Key)
	}
	u.parts[n] = data
	return s3backend.Part{N: n, ETag: md5ETag(data), Size: size}, nil
}

// CompleteUpload joins the parts, in order, into the object, checking
// them as S3 and B2 do: each named part uploaded with that ETag, and every
// part but the last at least the minimum part size.
func (m *Store) CompleteUpload(ctx context.Context, up s3backend.Upload, parts []s3backend.Part) (s3backend.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fail := func(format string, a ...any) (s3backend.Object, error) {
		return s3backend.Object{}, fmt.Errorf("complete upload of %q: "+format, append([]any{up.Key}, a...)...)
	}
	if err := m.beginLocked(OpComplete, up.Key); err != nil {
		return fail("%w", err)
	}
	u, ok := m.uploads[up.ID]
	if !ok || u.key != up.Key {
		return fail("no such upload %q: %w", up.ID, s3backend.ErrNotExist)
	}
	if len(parts) == 0 {
		return fail("no parts")
	}
	sorted := append([]s3backend.Part(nil), parts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].N < sorted[j].N })
	var data []byte
	sums := md5.New()
	for i, p := range sorted {
		d, ok := u.parts[p.N]
		switch {
		case !ok || !s3backend.SameETag(p.ETag, md5ETag(d)):
			return fail("part %d was not uploaded with ETag %s (InvalidPart)", p.N, p.ETag)
		case i > 0 && sorted[i-1].N == p.N:
			return fail("part %d named twice", p.N)
		case i < len(sorted)-1 && int64(len(d)) < m.minPartSize:
			return fail("part %d holds %d bytes, less than %d (EntityTooSmall)", p.N, len(d), m.minPartSize)
		}
		data = append(data, d...)
		sum := md5.Sum(d)
		sums.Write(sum[:])
	}
	delete(m.uploads, up.ID)
	etag := fmt.Sprintf("%q", fmt.Sprintf("%x-%d", sums.Sum(nil), len(sorted)))
	o := m.storeLocked(up.Key, object{data: data, etag: etag, modTime: ModTime, mtime: u.meta.MTime})
	return o.describe(up.Key), nil
}

// AbortUpload drops up; an upload already gone is no error.
func (m *Store) AbortUpload(ctx context.Context, up s3backend.Upload) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpAbort, up.Key); err != nil {
		return fmt.Errorf("abort upload of %q: %w", up.Key, err)
	}
	delete(m.uploads, up.ID)
	return nil
}

// ListUploads lists the unfinished uploads of keys under prefix, by key.
func (m *Store) ListUploads(ctx context.Context, prefix string) ([]s3backend.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpListUploads, prefix); err != nil {
		return nil, fmt.Errorf("list uploads %q: %w", prefix, err)
	}
	var out []s3backend.Upload
	for id, u := range m.uploads {
		if strings.HasPrefix(u.key, prefix) {
			out = append(out, s3backend.Upload{Key: u.key, ID: id, Initiated: u.initiated})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Key < out[j].Key || out[i].Key == out[j].Key && out[i].ID < out[j].ID
	})
	return out, nil
}

// Copy copies src, pinned to src.ETag, to dst.
func (m *Store) Copy(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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
		c.mtime = meta.MTime
	}
	c = m.storeLocked(dst, c)
	return c.describe(dst), o.version, nil
}

// Delete hides key (versionID ""), keeping it as an older version, or
// deletes that one version for good.
func (m *Store) Delete(ctx context.Context, key, versionID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.beginLocked(OpDelete, key); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	if versionID == "" {
		if o, ok := m.objs[key]; ok {
			m.history[key] = append(m.history[key], o)
			delete(m.objs, key)
		}
		return nil
	}
	if o, ok := m.objs[key]; ok && o.version == versionID {
		delete(m.objs, key)
		return nil
	}
	h := m.history[key]
	for i, o := range h {
		if o.version == versionID {
			m.history[key] = append(h[:i:i], h[i+1:]...)
			break
		}
	}
	if len(m.history[key]) == 0 {
		delete(m.history, key)
	}
	return nil
}

// DeleteAllVersions deletes key and every older version of it.
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
