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
	o := m.storeLocked(up.Key, object{data: data, etag: etag, modTime: ModTime, mtime: inMillis(u.meta.MTime)})
	d := o.describe(up.Key)
	d.Own = true // as the client's for an upload CreateUpload started: this store's are all such
	return d, nil
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
