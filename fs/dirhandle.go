package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// dirHandle is one open of a directory, read with readdir(3). It hands out
// "." and ".." first, as every Linux file system does (ls -a, and programs
// that count on them), then the directory's names. Its first READDIR (or
// seek) takes its source from the directory's cache
// (dirCache.source): the fresh listing if there is one (no request), else
// the listing being fetched, whose names it hands out as each LIST page
// decides them. The kernel's READDIRPLUS then asks for the attributes of
// every name it got, which the entry itself answers (Lookup), without a
// request.
//
// go-fuse serialises the calls on one directory handle (it holds the
// handle's lock across each READDIR, its Seekdir and its Lookups), so the
// fields need no lock of their own.
type dirHandle struct {
	n *dirNode

	src  *dirSource // nil until the first READDIR or seek
	off  int        // offset of the next entry (see dotEntries)
	last entry      // the listed entry handed out last

	batch   context.Context // the READDIR being answered (go-fuse makes one per request)
	inBatch int             // entries handed out in it
}

// dotEntries is how many entries come before the listed ones: "." and
// "..". Offsets, as readdir hands them out and seekdir takes them back,
// count entries: "." ends at 1, ".." at 2, the listing's i-th name (from 0)
// at dotEntries+i+1; 0 is the start.
const dotEntries = 2

var _ = (gofs.FileReaddirenter)((*dirHandle)(nil))
var _ = (gofs.FileSeekdirer)((*dirHandle)(nil))
var _ = (gofs.FileLookuper)((*dirHandle)(nil))
var _ = (gofs.FileReleasedirer)((*dirHandle)(nil))

// open takes the source at the first READDIR or seek.
func (h *dirHandle) open(ctx context.Context) {
	if h.src == nil {
		h.src = h.n.dc().source(ctx)
	}
}

// Readdirent hands out the next entry, or nil at the end: "." and "..",
// then the listed names (READDIRPLUS looks up neither dot: go-fuse skips
// them, and the kernel ignores their attributes). While the listing is
// being fetched, a READDIR that has listed names already ends when no more
// are decided, so the kernel passes them on at once and asks again for the
// rest (an empty answer would mean the end of the directory); one that has
// none yet (the dots do not count) waits for the next page. A failed
// listing gives EIO
// (or ENOENT, EACCES: see toErrno) after the names it decided; one that
// fails in an outage before any name shows the directory's expired
// listing instead, if it has one (dirSource.entry).
func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	h.open(ctx)
	if ctx != h.batch {
		h.batch, h.inBatch = ctx, 0
	}
	if h.off < dotEntries {
		de := h.dot(h.off)
		h.off++
		de.Off = uint64(h.off)
		return &de, 0
	}
	i := h.off - dotEntries
	if h.inBatch > 0 && i >= h.src.ready() {
		return nil, 0
	}
	e, ok, err := h.src.entry(ctx, i)
	if err != nil {
		return nil, h.n.fsys.errno(ctx, "list", h.n.dc().prefix, err)
	}
	if !ok {
		return nil, 0
	}
	h.off++
	h.inBatch++
	h.last = e
	de := h.n.dirEntry(e)
	de.Off = uint64(h.off)
	return &de, 0
}

// dot is "." (i 0) or ".." (i 1): the directory's own inode number, and its
// parent's. The root's parent is the root itself, as at the top of any
// file system; a directory go-fuse no longer links to a parent gives its
// own number for "..".
func (h *dirHandle) dot(i int) fuse.DirEntry {
	ino := h.n.StableAttr().Ino
	if i == 0 {
		return fuse.DirEntry{Name: ".", Mode: syscall.S_IFDIR, Ino: ino}
	}
	if _, parent := h.n.Parent(); parent != nil && !h.n.IsRoot() {
		ino = parent.StableAttr().Ino
	}
	return fuse.DirEntry{Name: "..", Mode: syscall.S_IFDIR, Ino: ino}
}

// Seekdir moves to the entry after offset off (0: the start), as handed
// out before; rewinddir(3) lists the same names again, dots first.
func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	h.open(ctx)
	if off > uint64(dotEntries+h.src.ready()) {
		return syscall.EINVAL
	}
	h.off = int(off)
	return 0
}

// Lookup answers READDIRPLUS for the name handed out last, from its entry.
// Past the first Options.PlusEntries names it gives the name alone: go-fuse then
// sends node ID 0 for it, which tells the kernel to make no inode (and
// go-fuse no node) for a name no one may ever look at; a program that
// stats it sends a LOOKUP, answered from the same listing.
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if h.src == nil || name != h.last.name {
		return h.n.Lookup(ctx, name, out)
	}
	if h.off-dotEntries > h.n.fsys.opt.PlusEntries {
		return nil, syscall.EAGAIN // not an error the kernel sees: a name without attributes
	}
	return h.n.child(ctx, h.last, out), 0
}

// Releasedir does nothing: a listing being fetched goes on for the other
// readers and the cache.
func (h *dirHandle) Releasedir(ctx context.Context, releaseFlags uint32) {}
