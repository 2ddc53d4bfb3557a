package fs_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
)

// The in-memory model of a read-write mount that the random-operation
// test holds the mount to, written from what POSIX and b2mount's README
// promise, apart from the code that keeps it: a handle open for writing
// has a content of its own (what the file held at open, or nothing with
// O_TRUNC or when created), which close and fsync make the file's; every
// other open sees the file as last committed.

// mfile is one name of the model.
type mfile struct {
	exists bool   // the name shows (created, or in the bucket)
	stored bool   // the bucket holds it (committed at least once)
	data   []byte // the content last committed
}

// mhandle is one open file, with the real descriptor beside the model.
type mhandle struct {
	fd                      int
	name                    string
	flags                   int
	readable, writable, app bool
	commits                 bool   // close and fsync upload its content: opened for writing, or created
	content                 []byte // what reads see and close uploads
	pos                     int64
}

// model is every name the test uses, and the handle open on each.
type model struct {
	files   map[string]*mfile
	handles map[string]*mhandle
}

func newModel(names []string) *model {
	m := &model{files: map[string]*mfile{}, handles: map[string]*mhandle{}}
	for _, n := range names {
		m.files[n] = &mfile{}
	}
	return m
}

// open models open(2) of name with flags; it returns the errno expected
// and the handle's model.
func (m *model) open(name string, flags int) (*mhandle, syscall.Errno) {
	f := m.files[name]
	if !f.exists && flags&syscall.O_CREAT == 0 {
		return nil, syscall.ENOENT
	}
	acc := flags & syscall.O_ACCMODE
	h := &mhandle{name: name, flags: flags, readable: acc != syscall.O_WRONLY, writable: acc != syscall.O_RDONLY,
		app: flags&syscall.O_APPEND != 0}
	created := !f.exists
	h.commits = h.writable || created
	switch {
	case created:
		f.exists = true
	case h.writable && flags&syscall.O_TRUNC != 0:
	default:
		h.content = append([]byte(nil), f.data...)
	}
	return h, 0
}

// size is the size a stat shows while h is open.
func (h *mhandle) size() int64 { return int64(len(h.content)) }

// write models pwrite (at off) or write (at the position, off < 0).
func (h *mhandle) write(p []byte, off int64) {
	at := off
	if off < 0 {
		at = h.pos
	}
	if h.app {
		at = h.size() // O_APPEND writes at the end, pwrite too (Linux)
	}
	if end := at + int64(len(p)); end > h.size() {
		h.content = append(h.content, make([]byte, end-h.size())...)
	}
	copy(h.content[at:], p)
	if off < 0 {
		h.pos = at + int64(len(p))
	}
}

// read models pread (at off) or read (at the position, off < 0) of n bytes.
func (h *mhandle) read(n int, off int64) []byte {
	at := off
	if off < 0 {
		at = h.pos
	}
	if at >= h.size() {
		return nil
	}
	got := h.content[at:min(h.size(), at+int64(n))]
	if off < 0 {
		h.pos = at + int64(len(got))
	}
	return got
}

func (h *mhandle) truncate(n int64) {
	if n <= h.size() {
		h.content = h.content[:n]
		return
	}
	h.content = append(h.content, make([]byte, n-h.size())...)
}

// commit models close or fsync of h: its content becomes the file's.
func (m *model) commit(h *mhandle) {
	if !h.commits {
		return
	}
	f := m.files[h.name]
	f.data = append([]byte(nil), h.content...)
	f.stored = true
}

// visibleSize is the size stat(2) of name shows.
func (m *model) visibleSize(name string) int64 {
	if h := m.handles[name]; h != nil {
		return h.size()
	}
	return int64(len(m.files[name].data))
}

// randomFlags picks open flags: every access mode, with O_CREAT, O_TRUNC
// (only for writing) and O_APPEND (only for writing) at random.
func randomFlags(r *rand.Rand) int {
	flags := []int{syscall.O_RDONLY, syscall.O_WRONLY, syscall.O_RDWR}[r.IntN(3)]
	if r.IntN(2) == 0 {
		flags |= syscall.O_CREAT
	}
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		if r.IntN(4) == 0 {
			flags |= syscall.O_TRUNC
		}
		if r.IntN(4) == 0 {
			flags |= syscall.O_APPEND
		}
	}
	return flags
}

func flagNames(flags int) string {
	s := []string{"O_RDONLY", "O_WRONLY", "O_RDWR"}[flags&syscall.O_ACCMODE]
	for _, f := range []struct {
		bit  int
		name string
	}{{syscall.O_CREAT, "O_CREAT"}, {syscall.O_TRUNC, "O_TRUNC"}, {syscall.O_APPEND, "O_APPEND"}} {
		if flags&f.bit != 0 {
			s += "|" + f.name
		}
	}
	return s
}

// pattern is n bytes that name where they were written, so that a
// mismatch shows whose bytes landed where.
func pattern(r *rand.Rand, n int) []byte {
	var cycle [251]byte
	seed := byte(r.IntN(256))
	for i := range cycle {
		cycle[i] = seed + byte(i)
	}
	p := make([]byte, n)
	for i := 0; i < n; i += len(cycle) {
		copy(p[i:], cycle[:])
	}
	return p
}

func describe(p []byte) string {
	if len(p) <= 16 {
		return fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("%d bytes %q...", len(p), p[:16])
}
