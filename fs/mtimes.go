package fs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// mtimeTable holds the modification times this machine's mounts set on
// files (utimes after close, as rsync and tar do), by key and ETag: the S3
// listing carries no metadata, and reading B2's src_last_modified_millis
// back costs a HEAD per file, so a file shows the time set here as long as
// it is the same version. It lives in a file next to the mounts' state
// (one line per change, loaded at the start, compacted when it holds far
// more lines than entries), so a second `rsync -a` after a remount finds
// every file unchanged without a request. Safe for concurrent use.
type mtimeTable struct {
	path string // constant

	mu    sync.Mutex // guards the fields below; held across the file append
	times map[string]mtimeEntry
	f     *os.File // the file, opened for appending
}

type mtimeEntry struct {
	etag  string
	mtime time.Time
}

// openMtimes loads the table kept in dir, compacting it if it grew.
func openMtimes(dir string) (*mtimeTable, error) {
	t := &mtimeTable{path: filepath.Join(dir, "mtimes"), times: map[string]mtimeEntry{}}
	lines, err := t.load()
	if err != nil {
		return nil, err
	}
	if lines > 2*len(t.times)+1024 {
		if err := t.compact(); err != nil {
			return nil, err
		}
	}
	t.f, err = os.OpenFile(t.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mtime table: %w", err)
	}
	return t, nil
}

// load reads the file; a line that does not parse (a torn last line) is
// skipped.
func (t *mtimeTable) load() (int, error) {
	f, err := os.Open(t.path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("mtime table: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) != 3 {
			continue
		}
		etag, err1 := strconv.Unquote(f[0])
		ns, err2 := strconv.ParseInt(f[1], 10, 64)
		key, err3 := strconv.Unquote(f[2])
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if etag == "" {
			delete(t.times, key)
		} else {
			t.times[key] = mtimeEntry{etag: etag, mtime: time.Unix(0, ns)}
		}
	}
	return n, sc.Err()
}

// compact rewrites the file with one line per entry.
func (t *mtimeTable) compact() error {
	tmp := t.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("mtime table: %w", err)
	}
	w := bufio.NewWriter(f)
	for key, e := range t.times {
		w.WriteString(mtimeLine(key, e))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("mtime table: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mtime table: %w", err)
	}
	return os.Rename(tmp, t.path)
}

func mtimeLine(key string, e mtimeEntry) string {
	return fmt.Sprintf("%s %d %s\n", strconv.Quote(e.etag), e.mtime.UnixNano(), strconv.Quote(key))
}

// get returns the time set on key's version etag, if any.
func (t *mtimeTable) get(key, etag string) (time.Time, bool) {
	if t == nil || etag == "" {
		return time.Time{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.times[key]
	if !ok || !s3backend.SameETag(e.etag, etag) {
		return time.Time{}, false
	}
	return e.mtime, true
}

// set records mtime for key's version etag; etag "" forgets key. A
// failure to write the file is returned, and the time is kept in memory
// anyway.
func (t *mtimeTable) set(key, etag string, mtime time.Time) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := mtimeEntry{etag: etag, mtime: mtime}
	if etag == "" {
		if _, ok := t.times[key]; !ok {
			return nil
		}
		delete(t.times, key)
	} else {
		t.times[key] = e
	}
	if _, err := t.f.WriteString(mtimeLine(key, e)); err != nil {
		return fmt.Errorf("mtime table: %w", err)
	}
	return nil
}

// forget drops what the table holds for key (the file is gone).
func (t *mtimeTable) forget(key string) error { return t.set(key, "", time.Time{}) }
