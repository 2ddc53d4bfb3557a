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

	listPage   int                              // entries per LIST page; 0 is 1,000
	beforePage func(prefix string, i int) error // if set, called before page i of a listing is answered; its error fails the LIST
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

// ListPages lists prefix in pages of listPage entries (1,000 unless set),
// one LIST each, computed up front like a server's snapshot.
func (m *memStore) ListPages(ctx context.Context, prefix string, fn func(page s3backend.Listing) error) error {
	m.mu.Lock()
	per := m.listPage
	if per == 0 {
		per = 1000
	}
	keys := make([]string, 0, len(m.objs))
	for k := range m.objs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pages []s3backend.Listing
	var page s3backend.Listing
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p := prefix + rest[:i+1]
			if seen[p] {
				continue
			}
			seen[p] = true
			page.Prefixes = append(page.Prefixes, p)
		} else {
			o := m.objs[k]
			page.Objects = append(page.Objects, s3backend.Object{Key: k, Size: int64(len(o.data)), ModTime: o.modTime, ETag: o.etag})
		}
		if len(page.Prefixes)+len(page.Objects) == per {
			pages = append(pages, page)
			page = s3backend.Listing{}
		}
	}
	if len(pages) == 0 || len(page.Prefixes)+len(page.Objects) > 0 {
		pages = append(pages, page)
	}
	hook := m.beforePage
	m.mu.Unlock()
	for i, p := range pages {
		if hook != nil {
			if err := hook(prefix, i); err != nil {
				return fmt.Errorf("list %q: %w", prefix, err)
			}
		}
		m.mu.Lock()
		m.counts["LIST"]++
		m.mu.Unlock()
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
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
