package storetest_test

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/b2mount/b2mount/s3backend"
)

// writeMutations are the write methods a mutant replaces; nil ones are
// the fake's own.
type writeMutations struct {
	put      func(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error)
	complete func(ctx context.Context, up s3backend.Upload, parts []s3backend.Part) (s3backend.Object, error)
	abort    func(ctx context.Context, up s3backend.Upload) error
	uploads  func(ctx context.Context, prefix string) ([]s3backend.Upload, error)
	copy     func(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error)
	del      func(ctx context.Context, key, versionID string) error
	delAll   func(ctx context.Context, key string) error
}

func (m *mutant) Put(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error) {
	if m.w.put != nil {
		return m.w.put(ctx, key, body, size, meta)
	}
	return m.Store.Put(ctx, key, body, size, meta)
}

func (m *mutant) CompleteUpload(ctx context.Context, up s3backend.Upload, parts []s3backend.Part) (s3backend.Object, error) {
	if m.w.complete != nil {
		return m.w.complete(ctx, up, parts)
	}
	return m.Store.CompleteUpload(ctx, up, parts)
}

func (m *mutant) AbortUpload(ctx context.Context, up s3backend.Upload) error {
	if m.w.abort != nil {
		return m.w.abort(ctx, up)
	}
	return m.Store.AbortUpload(ctx, up)
}

func (m *mutant) ListUploads(ctx context.Context, prefix string) ([]s3backend.Upload, error) {
	if m.w.uploads != nil {
		return m.w.uploads(ctx, prefix)
	}
	return m.Store.ListUploads(ctx, prefix)
}

func (m *mutant) Copy(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error) {
	if m.w.copy != nil {
		return m.w.copy(ctx, src, dst, meta)
	}
	return m.Store.Copy(ctx, src, dst, meta)
}

func (m *mutant) Delete(ctx context.Context, key, versionID string) error {
	if m.w.del != nil {
		return m.w.del(ctx, key, versionID)
	}
	return m.Store.Delete(ctx, key, versionID)
}

func (m *mutant) DeleteAllVersions(ctx context.Context, key string) error {
	if m.w.delAll != nil {
		return m.w.delAll(ctx, key)
	}
	return m.Store.DeleteAllVersions(ctx, key)
}

// writeMutants break one rule of the WriteStore contract each.
func writeMutants(m *mutant) map[string]struct {
	breakIt func()
	caught  string
} {
	base := m.Store
	return map[string]struct {
		breakIt func()
		caught  string
	}{
		"put keeps the mtime below the millisecond": {func() {
			m.w.put = func(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error) {
				o, err := base.Put(ctx, key, body, size, meta)
				o.MTime = meta.MTime
				return o, err
			}
		}, "PutStatListRead"},
		"empty put fails": {func() {
			m.w.put = func(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error) {
				if size == 0 {
					return s3backend.Object{}, io.ErrUnexpectedEOF
				}
				return base.Put(ctx, key, body, size, meta)
			}
		}, "PutEmpty"},
		"deleting a missing key fails": {func() {
			m.w.del = func(ctx context.Context, key, versionID string) error {
				if _, err := base.Stat(ctx, key); err != nil {
					return err
				}
				return base.Delete(ctx, key, versionID)
			}
		}, "DeleteHides"},
		"delete by version hides the key": {func() {
			m.w.del = func(ctx context.Context, key, versionID string) error { return base.Delete(ctx, key, "") }
		}, "DeleteVersion"},
		"delete all versions only hides": {func() {
			m.w.delAll = func(ctx context.Context, key string) error { return base.Delete(ctx, key, "") }
		}, "DeleteAllVersions"},
		"delete all versions takes the prefix": {func() {
			m.w.delAll = func(ctx context.Context, key string) error {
				for _, k := range []string{key, key + ".bak", key + "0"} {
					if err := base.DeleteAllVersions(ctx, k); err != nil {
						return err
					}
				}
				return nil
			}
		}, "DeleteAllVersions"},
		"complete joins parts in the order given": {func() {
			m.w.complete = func(ctx context.Context, up s3backend.Upload, parts []s3backend.Part) (s3backend.Object, error) {
				o, err := base.CompleteUpload(ctx, up, parts)
				if err != nil {
					return o, err
				}
				sorted, _ := base.Data(up.Key) // in order of N
				at := map[int32]int64{}
				var off int64
				for _, p := range slices.SortedFunc(slices.Values(parts), func(a, b s3backend.Part) int { return int(a.N - b.N) }) {
					at[p.N] = off
					off += p.Size
				}
				var given []byte
				for _, p := range parts {
					given = append(given, sorted[at[p.N]:at[p.N]+p.Size]...)
				}
				base.Set(up.Key, given)
				return o, nil
			}
		}, "MultipartThreeParts"},
		"small parts accepted": {func() { base.SetMinPartSize(1) }, "MultipartSmallPart"},
		"aborting a gone upload fails": {func() {
			m.w.abort = func(ctx context.Context, up s3backend.Upload) error {
				ups, err := base.ListUploads(ctx, up.Key)
				if err == nil && !slices.ContainsFunc(ups, func(u s3backend.Upload) bool { return u.ID == up.ID }) {
					return s3backend.ErrNotExist
				}
				return base.AbortUpload(ctx, up)
			}
		}, "AbortUpload"},
		"list uploads ignores the prefix": {func() {
			m.w.uploads = func(ctx context.Context, prefix string) ([]s3backend.Upload, error) {
				return base.ListUploads(ctx, prefix[:strings.IndexByte(prefix, '/')+1])
			}
		}, "ListUploads"},
		"copy ignores the pin": {func() {
			m.w.copy = func(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error) {
				src.ETag = ""
				return base.Copy(ctx, src, dst, meta)
			}
		}, "CopyPinned"},
		"copy drops the source's meta": {func() {
			m.w.copy = func(ctx context.Context, src s3backend.Object, dst string, meta *s3backend.Meta) (s3backend.Object, string, error) {
				if meta == nil {
					meta = &s3backend.Meta{}
				}
				return base.Copy(ctx, src, dst, meta)
			}
		}, "CopyKeepsOrReplacesMeta"},
		"put turns plus into space": {func() {
			m.w.put = func(ctx context.Context, key string, body io.ReaderAt, size int64, meta s3backend.Meta) (s3backend.Object, error) {
				return base.Put(ctx, strings.ReplaceAll(key, "+", " "), body, size, meta)
			}
		}, "WriteOddNames"},
	}
}
