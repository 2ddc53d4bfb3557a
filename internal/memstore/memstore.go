// Package memstore is an in-memory bucket with S3's listing semantics and
// request counters: the fake behind the file system's unit tests, and one
// of the Store implementations the conformance suite (internal/storetest)
// runs against.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// The request kinds Count and Counts report.
const (
	OpList  = "LIST"  // one page of a ListPages, or a ListPage
	OpHead  = "HEAD"  // Stat
	OpProbe = "PROBE" // HasPrefix (a LIST with max-keys 1 on a server)
	OpGet   = "GET"   // OpenRange
)

// ModTime is the LastModified of every object Put stores.
var ModTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// Store is an in-memory bucket. It implements the file system's Store
// interface. Safe for concurrent use.
type Store struct {
	mu      sync.Mutex // guards the fields below
	objs    map[string]object
	counts  map[string]int // by Op*
	fetched int64          // bytes returned by GETs
	gets    []string       // "off+n" of each GET

	pageSize   int                              // entries per LIST page; 0 is 1,000
	beforePage func(prefix string, i int) error // if set, called before page i of a listing is answered
	denied     []string                         // key prefixes every request under which is refused (Deny)

	// Writes (write.go).
	versions    int                        // version ids handed out
	history     map[string][]object        // older and hidden versions and delete markers, by key, oldest first
	uploads     map[string]*upload         // unfinished multipart uploads, by id
	minPartSize int64                      // smallest part but the last (SetMinPartSize)
	fault       func(op, key string) error // SetFault
}

type object struct {
	data    []byte
	etag    string // quoted, as S3 sends it
	modTime time.Time
	mtime   time.Time // the writer's Meta.MTime, if any
	version string    // version id, unique in the store
	marker  bool      // a delete marker (history only): no content
}

// New returns an empty store.
func New() *Store {
	return &Store{objs: make(map[string]object), counts: make(map[string]int),
		history: make(map[string][]object), uploads: make(map[string]*upload), minPartSize: MinPartSize}
}

// Set stores data under key out of band (no request is counted),
// replacing any object there, with a quoted MD5 ETag, as S3 computes it
// for a single-part upload.
func (m *Store) Set(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.storeLocked(key, object{data: data, etag: md5ETag(data), modTime: ModTime})
}

// Remove deletes key out of band (no request is counted); a missing key
// is no error.
func (m *Store) Remove(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
}

// SetPageSize makes listings answer n entries per page (default 1,000).
func (m *Store) SetPageSize(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pageSize = n
}

// Deny refuses, from now on, every request for a key or listing under
// prefix with s3backend.ErrAccessDenied, as S3 does for a key whose
// credentials have no rights there (B2: an application key restricted
// to another name prefix). Deny("") refuses everything.
func (m *Store) Deny(prefix string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.denied = append(m.denied, prefix)
}

// deniedLocked reports whether a request for key or prefix p is refused.
// m.mu must be held.
func (m *Store) deniedLocked(p string) bool {
	for _, d := range m.denied {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// SetBeforePage sets a hook called before page i of a listing of prefix
// is answered (i is -1 for ListPage's one page); its error fails the
// listing. nil removes it.
func (m *Store) SetBeforePage(fn func(prefix string, i int) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beforePage = fn
}

// Count is how many requests of kind op (OpList, ...) were answered since
// the last ResetCounts.
func (m *Store) Count(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[op]
}

// Counts is a copy of every count.
func (m *Store) Counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := make(map[string]int, len(m.counts))
	for k, v := range m.counts {
		c[k] = v
	}
	return c
}

// Gets lists each GET as "off+n", in order.
func (m *Store) Gets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.gets...)
}

// BytesFetched is how many bytes GETs returned.
func (m *Store) BytesFetched() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fetched
}

// ResetCounts zeroes the counts, the GET log and BytesFetched.
func (m *Store) ResetCounts() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts = make(map[string]int)
	m.fetched = 0
	m.gets = nil
}

// ListPages lists prefix with delimiter "/" in pages (see SetPageSize),
// one LIST each, computed up front like a server's snapshot.
func (m *Store) ListPages(ctx context.Context, prefix string, fn func(page s3backend.Listing) error) error {
	m.mu.Lock()
	if m.deniedLocked(prefix) {
		m.counts[OpList]++
		m.mu.Unlock()
		return fmt.Errorf("list %q: %w", prefix, s3backend.ErrAccessDenied)
	}
	per := m.pageSize
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
		m.counts[OpList]++
		m.mu.Unlock()
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// ListPage lists one page of prefix with delimiter "/" after startAfter
// (one LIST): at most maxKeys (0: the page size) keys and common
// prefixes, a common prefix counted once, and listed when any key under
// it sorts after startAfter, unless it is startAfter itself, as S3 does.
func (m *Store) ListPage(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error) {
	m.mu.Lock()
	m.counts[OpList]++
	if m.deniedLocked(prefix) {
		m.mu.Unlock()
		return s3backend.Listing{}, fmt.Errorf("list %q after %q: %w", prefix, startAfter, s3backend.ErrAccessDenied)
	}
	per := maxKeys
	if per <= 0 {
		per = m.pageSize
	}
	if per <= 0 {
		per = 1000
	}
	keys := make([]string, 0, len(m.objs))
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var page s3backend.Listing
	var last string // the last common prefix listed
	for _, k := range keys {
		if len(page.Prefixes)+len(page.Objects) == per {
			page.Truncated = true
			break
		}
		rest := k[len(prefix):]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			if p := prefix + rest[:j+1]; p != last && p != startAfter {
				last = p
				page.Prefixes = append(page.Prefixes, p)
			}
		} else {
			o := m.objs[k]
			page.Objects = append(page.Objects, s3backend.Object{Key: k, Size: int64(len(o.data)), ModTime: o.modTime, ETag: o.etag})
		}
	}
	hook := m.beforePage
	m.mu.Unlock()
	if hook != nil {
		if err := hook(prefix, -1); err != nil {
			return s3backend.Listing{}, fmt.Errorf("list %q after %q: %w", prefix, startAfter, err)
		}
	}
	return page, nil
}

// Stat describes key, or fails with s3backend.ErrNotExist.
func (m *Store) Stat(ctx context.Context, key string) (s3backend.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[OpHead]++
	if m.deniedLocked(key) {
		return s3backend.Object{}, fmt.Errorf("head %q: %w", key, s3backend.ErrAccessDenied)
	}
	o, ok := m.objs[key]
	if !ok {
		return s3backend.Object{}, fmt.Errorf("head %q: %w", key, s3backend.ErrNotExist)
	}
	return o.describe(key), nil
}

// HasPrefix reports whether any key starts with prefix.
func (m *Store) HasPrefix(ctx context.Context, prefix string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[OpProbe]++
	if m.deniedLocked(prefix) {
		return false, fmt.Errorf("probe %q: %w", prefix, s3backend.ErrAccessDenied)
	}
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) {
			return true, nil
		}
	}
	return false, nil
}

// OpenRange returns n bytes of key from off (n < 0: to the end; off at
// or after the end: nothing). A non-empty etag pins the version: another
// ETag (compared as s3backend.SameETag does, quotes aside) or no object
// at all fails with s3backend.ErrChanged. Without etag a missing key is
// s3backend.ErrNotExist.
func (m *Store) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[OpGet]++
	if m.deniedLocked(key) {
		return nil, fmt.Errorf("get %q: %w", key, s3backend.ErrAccessDenied)
	}
	o, ok := m.objs[key]
	switch {
	case !ok && etag != "":
		return nil, fmt.Errorf("get %q: %w: the object was deleted", key, s3backend.ErrChanged)
	case !ok:
		return nil, fmt.Errorf("get %q: %w", key, s3backend.ErrNotExist)
	case etag != "" && !s3backend.SameETag(etag, o.etag):
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
