package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// memStore is an in-memory Store with S3's listing semantics and request
// counters, for tests of the file system alone.
type memStore struct {
	mu      sync.Mutex // guards the fields below
	objs    map[string]memObject
	counts  map[string]int // "LIST", "HEAD", "PROBE" (HasPrefix), "GET"
	fetched int64          // bytes returned by GETs
	gets    []string       // "off+n" of each GET
}

type memObject struct {
	data    []byte
	etag    string
	modTime time.Time
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{objs: make(map[string]memObject), counts: make(map[string]int)}
}

func (m *memStore) put(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = memObject{data: data, etag: fmt.Sprintf("\"%x\"", md5.Sum(data)),
		modTime: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (m *memStore) count(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[op]
}

func (m *memStore) resetCounts() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts = make(map[string]int)
	m.fetched = 0
	m.gets = nil
}

func (m *memStore) List(ctx context.Context, prefix string) (s3backend.Listing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var l s3backend.Listing
	seen := map[string]bool{}
	keys := make([]string, 0, len(m.objs))
	for k := range m.objs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		n++
		rest := k[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p := prefix + rest[:i+1]
			if !seen[p] {
				seen[p] = true
				l.Prefixes = append(l.Prefixes, p)
			}
			continue
		}
		o := m.objs[k]
		l.Objects = append(l.Objects, s3backend.Object{Key: k, Size: int64(len(o.data)), ModTime: o.modTime, ETag: o.etag})
	}
	m.counts["LIST"] += max(1, (len(l.Prefixes)+len(l.Objects)+999)/1000)
	return l, nil
}

func (m *memStore) Stat(ctx context.Context, key string) (s3backend.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts["HEAD"]++
	o, ok := m.objs[key]
	if !ok {
		return s3backend.Object{}, fmt.Errorf("head %q: %w", key, s3backend.ErrNotExist)
	}
	return s3backend.Object{Key: key, Size: int64(len(o.data)), ModTime: o.modTime, ETag: o.etag}, nil
}

func (m *memStore) HasPrefix(ctx context.Context, prefix string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts["PROBE"]++
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) {
			return true, nil
		}
	}
	return false, nil
}

func (m *memStore) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts["GET"]++
	o, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("get %q: %w", key, s3backend.ErrNotExist)
	}
	if etag != "" && etag != o.etag {
		return nil, fmt.Errorf("get %q: %w", key, s3backend.ErrChanged)
	}
	size := int64(len(o.data))
	off = min(off, size)
	end := size
	if n >= 0 {
		end = min(off+n, size)
	}
	m.fetched += end - off
	m.gets = append(m.gets, fmt.Sprintf("%d+%d", off, end-off))
	return io.NopCloser(bytes.NewReader(o.data[off:end])), nil
}

func (m *memStore) bytesFetched() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fetched
}

func (m *memStore) snapshot() (map[string]int, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := make(map[string]int, len(m.counts))
	for k, v := range m.counts {
		c[k] = v
	}
	return c, append([]string(nil), m.gets...)
}

func (m *memStore) countsMap() map[string]int { c, _ := m.snapshot(); return c }

func (m *memStore) getsLog() []string { _, g := m.snapshot(); return g }
