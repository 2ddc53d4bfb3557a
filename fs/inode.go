package fs

import (
	"container/list"
	"crypto/sha256"
	"strconv"
	"sync"
)

// maxIdleInos is how many inode numbers the table remembers for names no
// node holds (names only listed, or nodes the kernel forgot): a name seen
// again soon keeps its number, and a walk over millions of keys does not
// keep one entry per key for the life of the mount.
const maxIdleInos = 1 << 16

// inoTable hands out inode numbers: one per directory prefix and one per
// (key, ETag) of a file, so a replaced object is a new inode and the kernel
// never mixes its cached pages with the new version's. A number stays the
// same while a node holds it (from NewInode until go-fuse's OnForget, that
// is while the kernel knows the inode) and for a while after; numbers are
// never reused, so a name that comes back after its number was dropped
// gets a new one, as if the object had been replaced.
type inoTable struct {
	mu   sync.Mutex          // guards the fields below
	next uint64              // next number to hand out
	ids  map[inoID]*inoEntry // identity -> entry
	idle list.List           // of *inoEntry with live == 0, least recently used first
}

type inoEntry struct {
	id   inoID
	n    uint64
	live int           // nodes that hold n (go-fuse may briefly have two)
	elem *list.Element // in idle while live == 0
}

func newInoTable() *inoTable {
	// 1 is the root (go-fuse's default root inode number).
	return &inoTable{next: 2, ids: make(map[inoID]*inoEntry)}
}

// inoID is an identity numbers are handed out for: the first 16 bytes of
// the SHA-256 of what it names, not the key itself, so that neither the
// table nor the node of each of a million listed files keeps a copy of
// its key and ETag. Two names of one mount meet on the same identity with
// odds of about n²/2¹²⁹ for n names: never, in practice. The zero inoID is
// no identity.
type inoID [16]byte

// makeID hashes the parts of an identity, each ended by a NUL (which no
// key holds).
func makeID(kind string, parts ...string) inoID {
	var stack [256]byte // no allocation for the usual key
	b := append(stack[:0], kind...)
	for _, p := range parts {
		b = append(append(b, 0), p...)
	}
	sum := sha256.Sum256(b)
	return inoID(sum[:16])
}

// dirID and fileID are the identities numbers are handed out for.
func dirID(prefix string) inoID     { return makeID("d", prefix) }
func fileID(key, etag string) inoID { return makeID("f", key, etag) }

// number returns id's number, handing out a new one if the table has none.
func (t *inoTable) number(id inoID) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.ids[id]
	switch {
	case e == nil:
		e = &inoEntry{id: id, n: t.next}
		t.next++
		t.ids[id] = e
		e.elem = t.idle.PushBack(e)
		t.trimLocked()
	case e.live == 0:
		t.idle.MoveToBack(e.elem)
	}
	return e.n
}

// pin records that a new node holds id's number n, so it is kept until
// unpin. If the table dropped the entry since number returned n, it is
// put back.
func (t *inoTable) pin(id inoID, n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.ids[id]
	if e == nil {
		e = &inoEntry{id: id, n: n}
		t.ids[id] = e
	}
	if e.n != n {
		return // the name has a newer number; this node keeps its old one
	}
	if e.live == 0 && e.elem != nil {
		t.idle.Remove(e.elem)
		e.elem = nil
	}
	e.live++
}

// unpin records that a node holding id's number n is gone (OnForget).
func (t *inoTable) unpin(id inoID, n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.ids[id]
	if e == nil || e.n != n || e.live == 0 {
		return
	}
	e.live--
	if e.live == 0 {
		e.elem = t.idle.PushBack(e)
		t.trimLocked()
	}
}

// trimLocked drops the least recently used numbers no node holds beyond
// maxIdleInos.
func (t *inoTable) trimLocked() {
	for t.idle.Len() > maxIdleInos {
		e := t.idle.Remove(t.idle.Front()).(*inoEntry)
		delete(t.ids, e.id)
	}
}

// stats is how many numbers the table holds, and how many of them nodes hold.
func (t *inoTable) stats() (held, live int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ids), len(t.ids) - t.idle.Len()
}

// newFileID is the identity of a file created by this mount and not in
// the bucket yet: unique per creation (seq), so that it never meets an
// older node of the same name.
func newFileID(key string, seq uint64) inoID {
	return makeID("n", key, strconv.FormatUint(seq, 10))
}

// rebind moves the number n, held by a node under identity old, to
// identity new: this mount gave the node's object a new version or a new
// key, and the node keeps its number (the kernel knows it by it). A number
// the table had for new already (a listing saw the new version first) is
// forgotten: the node's wins for later lookups.
func (t *inoTable) rebind(old, new inoID, n uint64) {
	if old == new {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.ids[old]
	if e != nil && e.n == n {
		delete(t.ids, old)
	} else {
		e = &inoEntry{n: n, live: 1}
	}
	if x := t.ids[new]; x != nil && x != e && x.elem != nil {
		t.idle.Remove(x.elem)
	}
	e.id = new
	t.ids[new] = e
}
