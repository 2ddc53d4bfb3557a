package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// dirHandle is one open of a directory, read with readdir(3). Its first
// READDIR picks the source: the directory's fresh listing if there is one
// (no request), else the listing being fetched, whose names it hands out
// as each LIST page decides them. The kernel's READDIRPLUS then asks for
// the attributes of every name it got, which the entry itself answers
// (Lookup), without a request.
//
// go-fuse serialises the calls on one directory handle (it holds the
// handle's lock across each READDIR, its Seekdir and its Lookups), so the
// fields need no lock of their own.
type dirHandle struct {
	n *dirNode

	opened bool        // the source is chosen
	static *dirListing // a fresh listing, or nil
	call   *listCall   // the listing being fetched, when static is nil
	next   int         // index of the next entry to hand out
	last   entry       // the entry handed out last

	batch   context.Context // the READDIR being answered (go-fuse makes one per request)
	inBatch int             // entries handed out in it
}

var _ = (gofs.FileReaddirenter)((*dirHandle)(nil))
var _ = (gofs.FileSeekdirer)((*dirHandle)(nil))
var _ = (gofs.FileLookuper)((*dirHandle)(nil))
var _ = (gofs.FileReleasedirer)((*dirHandle)(nil))

// open picks the source at the first READDIR or seek.
func (h *dirHandle) open(ctx context.Context) {
	if !h.opened {
		h.static, h.call = h.n.listingFor(ctx)
		h.opened = true
	}
}

// Readdirent hands out the next entry, or nil at the end. While the
// listing is being fetched, a READDIR that has entries already ends when
// no more are decided, so the kernel passes them on at once and asks again
// for the rest (an empty answer would mean the end of the directory); one
// that has none yet waits for the next page. A failed listing gives EIO
// (or ENOENT, EACCES: see toErrno) after the names it decided; one that
// fails in an outage before any name shows the directory's expired
// listing instead, if it has one (dirNode.staleFor).
func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	h.open(ctx)
	if ctx != h.batch {
		h.batch, h.inBatch = ctx, 0
	}
	var e entry
	if h.static != nil {
		if h.next >= len(h.static.names) {
			return nil, 0
		}
		e = h.static.entries[h.static.names[h.next]]
	} else {
		if h.inBatch > 0 && h.next >= h.call.ready() {
			return nil, 0
		}
		var ok bool
		var err error
		e, ok, err = h.call.entry(ctx, h.next)
		if err != nil {
			if h.next == 0 {
				if l := h.n.staleFor(err); l != nil {
					// Nothing handed out yet: show the last listing instead.
					h.static, h.call = l, nil
					return h.Readdirent(ctx)
				}
			}
			return nil, h.n.fsys.errno(ctx, "list", h.n.prefix, err)
		}
		if !ok {
			return nil, 0
		}
	}
	h.next++
	h.inBatch++
	h.last = e
	de := h.n.dirEntry(e)
	de.Off = uint64(h.next)
	return &de, 0
}

// Seekdir moves to the entry after offset off (0: the start), as handed
// out before; rewinddir(3) lists the same names again.
func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	h.open(ctx)
	avail := 0
	if h.static != nil {
		avail = len(h.static.names)
	} else {
		avail = h.call.ready()
	}
	if off > uint64(avail) {
		return syscall.EINVAL
	}
	h.next = int(off)
	return 0
}

// Lookup answers READDIRPLUS for the name handed out last, from its entry.
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if !h.opened || name != h.last.name {
		return h.n.Lookup(ctx, name, out)
	}
	return h.n.child(ctx, h.last, out), 0
}

// Releasedir does nothing: a listing being fetched goes on for the other
// readers and the cache.
func (h *dirHandle) Releasedir(ctx context.Context, releaseFlags uint32) {}
