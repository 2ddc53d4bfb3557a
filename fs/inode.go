package fs

import (
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
// never mixes its cached pages with the new version's. A node keeps its
// number for life, and the table keeps nothing for it meanwhile: a lookup
// that finds the node (its directory's child of that name, with the same
// identity) takes the number from it, so the kernel's inodes cost the
// table nothing, a million of them after ls -l of a million-key folder.
// The table remembers only the numbers no node holds: those readdir(3)
// showed for names no node was made for yet, and those of nodes the kernel
// forgot (OnForget gives them back), the most recent maxIdleInos of them.
// Numbers are never reused, so a name that comes back after its number was
// dropped gets a new one, as if the object had been replaced.
type inoTable struct {
	mu   sync.Mutex // guards the fields below
	next uint64     // next number to hand out
	idle map[inoID]idleIno
	// order is the idle identities, oldest first from head, each with the
	// stamp it was given; an identity taken since, or given a later stamp,
	// is skipped when its turn comes.
	order []stampedID
	head  int
	stamp uint64
}

type idleIno struct{ n, stamp uint64 }

type stampedID struct {
	id    inoID
	stamp uint64
}

func newInoTable() *inoTable {
	// 1 is the root (go-fuse's default root inode number).
	return &inoTable{next: 2, idle: make(map[inoID]idleIno)}
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

// number returns the number of id, which no live node has: the one the
// table remembers for it, or a new one, remembered.
func (t *inoTable) number(id inoID) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.idle[id]; ok {
		return e.n
	}
	n := t.next
	t.next++
	t.keepLocked(id, n)
	return n
}

// take returns the number of id for a new node, which holds it from now
// on: the table forgets it until the node gives it back (release).
func (t *inoTable) take(id inoID) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.idle[id]; ok {
		delete(t.idle, id)
		return e.n
	}
	n := t.next
	t.next++
	return n
}

// release gives back the number n of a node the kernel forgot, whose
// identity is id now, to be found again by the next lookup of id.
func (t *inoTable) release(id inoID, n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keepLocked(id, n)
}

// keepLocked remembers n for id, as the most recent idle number, and drops
// the oldest past maxIdleInos.
func (t *inoTable) keepLocked(id inoID, n uint64) {
	t.stamp++
	t.idle[id] = idleIno{n: n, stamp: t.stamp}
	t.order = append(t.order, stampedID{id, t.stamp})
	for len(t.idle) > maxIdleInos {
		o := t.order[t.head]
		t.order[t.head] = stampedID{}
		t.head++
		if e, ok := t.idle[o.id]; ok && e.stamp == o.stamp {
			delete(t.idle, o.id)
		}
	}
	if len(t.order)-t.head > 2*len(t.idle)+1024 {
		// Mostly identities taken or stamped again since: keep only the
		// current ones, so that order stays within twice the table.
		kept := make([]stampedID, 0, 2*len(t.idle))
		for _, o := range t.order[t.head:] {
			if e, ok := t.idle[o.id]; ok && e.stamp == o.stamp {
				kept = append(kept, o)
			}
		}
		t.order, t.head = kept, 0
	}
}

// idleCount is how many numbers the table remembers.
func (t *inoTable) idleCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.idle)
}

// newFileID is the identity of a file created by this mount and not in
// the bucket yet: unique per creation (seq), so that it never meets an
// older node of the same name.
func newFileID(key string, seq uint64) inoID {
	return makeID("n", key, strconv.FormatUint(seq, 10))
}
