package fs

import (
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// stagedFile is the content of a session that is not streamed: a sparse
// file in the staging directory, created at the first access, whose length
// is always the content's size, and beside it a sidecar (see
// stagedSidecar) for the next mount to find after a crash. The content's
// bytes below limit that the file does not hold (held) are the base
// object's, downloaded when a read or the Commit needs them; every other
// byte is the file's. The session's mutex guards it; its methods do local
// file I/O but never send a request.
type stagedFile struct {
	d       *writeDeps
	key     string            // the key the content is for, in the sidecar
	base    *s3backend.Object // where the bytes not held come from; nil: nowhere
	limit   int64             // the base's bytes still in the content: [0, limit)
	held    spanSet           // the ranges of [0, limit) the file holds
	size    int64
	file    *os.File // nil until the first access that needs it
	created time.Time
	marked  bool // the sidecar says dirty
}

// stagedSidecar is the JSON file "<staged file>.json" beside each staged
// file. The staged file holds the content of a file open for writing
// whose bytes not yet downloaded are those of the base object (key,
// ETag). Dirty says whether the content differs from that object (false
// right after a Commit, until the next change): a crash leaves a dirty
// staged file's content unsaved. Size is the content's size when the
// sidecar was written; the staged file's length is the content's size.
type stagedSidecar struct {
	Key      string    `json:"key"`
	BaseETag string    `json:"base_etag,omitempty"`
	BaseSize int64     `json:"base_size"`
	Size     int64     `json:"size"`
	Created  time.Time `json:"created"`
	Dirty    bool      `json:"dirty"`
}

// newStagedFile returns the staged content of a file of size bytes, those
// below base's size being base's (base nil: zeros). No file is made yet.
func newStagedFile(d *writeDeps, key string, base *s3backend.Object, size int64) *stagedFile {
	sf := &stagedFile{d: d, key: key, base: base, size: size}
	if base != nil {
		sf.limit = min(base.Size, size)
	}
	return sf
}

// open makes the file, of the content's length, and its sidecar, if they
// are not made yet, and marks the sidecar dirty if dirty.
func (sf *stagedFile) open(dirty bool) error {
	if sf.file == nil {
		f, err := os.CreateTemp(sf.d.staging, "staged-*")
		if err != nil {
			return staging("create staged file", err)
		}
		if err := f.Truncate(sf.size); err != nil {
			f.Close()
			os.Remove(f.Name())
			return staging("size staged file", err)
		}
		sf.file, sf.created = f, sf.d.clock()
		return sf.writeSidecar(dirty)
	}
	if dirty && !sf.marked {
		return sf.writeSidecar(true)
	}
	return nil
}

// writeSidecar replaces the sidecar, atomically.
func (sf *stagedFile) writeSidecar(dirty bool) error {
	sc := stagedSidecar{Key: sf.key, Size: sf.size, Created: sf.created, Dirty: dirty}
	if sf.base != nil {
		sc.BaseETag, sc.BaseSize = sf.base.ETag, sf.base.Size
	}
	data, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	path := sf.file.Name() + ".json"
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		os.Remove(path + ".tmp")
		return staging("write sidecar", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return staging("write sidecar", err)
	}
	sf.marked = dirty
	return nil
}

// writeAt writes p at off.
func (sf *stagedFile) writeAt(p []byte, off int64) error {
	if err := sf.open(true); err != nil {
		return err
	}
	end := off + int64(len(p))
	if _, err := sf.file.WriteAt(p, off); err != nil {
		if end > sf.size { // keep the file's length the content's size
			_ = sf.file.Truncate(sf.size)
		}
		return staging("write staged file", err)
	}
	sf.held.add(off, min(end, sf.limit))
	sf.size = max(sf.size, end)
	return nil
}

// truncate sets the content's size: bytes cut off are gone for good, and
// read as zeros if the file grows again.
func (sf *stagedFile) truncate(size int64) error {
	if err := sf.open(true); err != nil {
		return err
	}
	if err := sf.file.Truncate(size); err != nil {
		return staging("truncate staged file", err)
	}
	if size < sf.limit {
		sf.limit = size
		sf.held.clip(size)
	}
	sf.size = size
	return nil
}

// missing returns the ranges of [lo, hi) still to be downloaded from the base.
func (sf *stagedFile) missing(lo, hi int64) []span {
	if lo >= sf.limit {
		return nil
	}
	return sf.held.gaps(lo, min(hi, sf.limit))
}

// fill writes the parts of p (downloaded base bytes at off) that the file
// still lacks, and holds them from then on; written bytes are never
// overwritten.
func (sf *stagedFile) fill(p []byte, off int64) error {
	for _, g := range sf.missing(off, off+int64(len(p))) {
		if _, err := sf.file.WriteAt(p[g.lo-off:g.hi-off], g.lo); err != nil {
			return staging("write staged file", err)
		}
		sf.held.add(g.lo, g.hi)
	}
	return nil
}

// readAt reads p at off, within the content and with nothing missing.
func (sf *stagedFile) readAt(p []byte, off int64) error {
	if sf.file == nil {
		clear(p)
		return nil
	}
	n, err := sf.file.ReadAt(p, off)
	if err == io.EOF {
		clear(p[n:])
		err = nil
	}
	return staging("read staged file", err)
}

// reader reads the whole content from the file, with nothing missing.
func (sf *stagedFile) reader() io.ReaderAt {
	return io.NewSectionReader(stagingReader{sf.file, "read staged file"}, 0, sf.size)
}

// committed makes obj, now stored under key with the file's content, the
// base: the file holds all of it.
func (sf *stagedFile) committed(obj s3backend.Object, key string) error {
	sf.base, sf.key, sf.limit = &obj, key, sf.size
	sf.held = spanSet{{0, sf.size}}
	if sf.size == 0 {
		sf.held = nil
	}
	return sf.writeSidecar(false)
}

// remove deletes the file and its sidecar.
func (sf *stagedFile) remove() {
	if sf.file == nil {
		return
	}
	name := sf.file.Name()
	sf.file.Close()
	for _, p := range []string{name, name + ".json"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			sf.d.log.Warn("remove staged file", "path", p, "err", err)
		}
	}
	sf.file = nil
}
