package fs

import "sync"

// inoTable hands out inode numbers, stable for the life of the mount: one
// per directory prefix and one per (key, ETag) of a file, so a replaced
// object is a new inode and the kernel never mixes its cached pages with
// the new version's. Numbers are never reused.
type inoTable struct {
	mu   sync.Mutex        // guards the fields below
	next uint64            // next number to hand out
	ids  map[string]uint64 // identity -> number
}

func newInoTable() *inoTable {
	// 1 is the root (go-fuse's default root inode number).
	return &inoTable{next: 2, ids: make(map[string]uint64)}
}

// dir returns the number of the directory with this key prefix.
func (t *inoTable) dir(prefix string) uint64 { return t.get("d\x00" + prefix) }

// file returns the number of this version of a file.
func (t *inoTable) file(key, etag string) uint64 { return t.get("f\x00" + key + "\x00" + etag) }

func (t *inoTable) get(id string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.ids[id]; ok {
		return n
	}
	n := t.next
	t.next++
	t.ids[id] = n
	return n
}
