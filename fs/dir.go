package fs

import (
	"context"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// dirNode is a directory: a key prefix. It answers the kernel; what it
// knows of its names is in its dirCache.
type dirNode struct {
	gofs.Inode
	fsys *fileSystem // constant

	// cache is what the mount knows of the directory, for its prefix; a
	// rename of the directory (read-write mounts only) gives it a new
	// cache for the new prefix.
	cache atomic.Pointer[dirCache]
}

func newDirNode(fsys *fileSystem, prefix string) *dirNode {
	n := &dirNode{fsys: fsys}
	n.cache.Store(newDirCache(fsys, prefix))
	return n
}

// dc is the directory's cache.
func (n *dirNode) dc() *dirCache { return n.cache.Load() }

var _ = (gofs.NodeLookuper)((*dirNode)(nil))
var _ = (gofs.NodeOpendirHandler)((*dirNode)(nil))
var _ = (gofs.NodeGetattrer)((*dirNode)(nil))
var _ = (gofs.NodeStatfser)((*dirNode)(nil))
var _ = (gofs.NodeOnForgetter)((*dirNode)(nil))

// Getattr reports the directory: DirMode, owned by UID/GID, with the time
// of its "dir/" marker if it has one, else the mount time. No request.
func (n *dirNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fsys.fillAttr(&out.Attr, syscall.S_IFDIR|n.fsys.opt.DirMode, 0, n.mtime())
	return 0
}

func (n *dirNode) mtime() time.Time {
	if t := n.dc().markerTime(); !t.IsZero() {
		return t
	}
	return n.fsys.mounted
}

// Statfs reports a bucket as a huge, empty-looking file system.
func (n *dirNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	statfs(out)
	return 0
}

// OpendirHandle opens the directory for readdir(3): see dirHandle. It
// sends nothing; the first READDIR does.
func (n *dirNode) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return &dirHandle{n: n}, 0, 0
}

// dirEntry is e as readdir(3) shows it, with the inode number a stat of
// it gives.
func (n *dirNode) dirEntry(e entry) fuse.DirEntry {
	mode := uint32(syscall.S_IFREG)
	if e.kind == kindDir {
		mode = syscall.S_IFDIR
	}
	ino := uint64(0)
	if ch := n.known(e); ch != nil {
		ino = ch.StableAttr().Ino
	} else {
		ino = n.fsys.inos.number(e.identity())
	}
	return fuse.DirEntry{Name: e.name, Mode: mode, Ino: ino}
}

// Lookup finds one name through the directory's cache: with no request
// within the TTL of a listing or of a page an earlier lookup listed, else
// with one LIST page from just below the name (see dirCache.lookup). Only a definite miss is ENOENT.
func (n *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	e, found, err := n.dc().lookup(ctx, name)
	switch {
	case err != nil:
		return nil, n.fsys.errno(ctx, "lookup", n.dc().prefix+name, err)
	case !found:
		return nil, syscall.ENOENT
	}
	return n.child(ctx, e, out), 0
}

// child returns the inode for an entry, reusing the live one if the kernel
// knows it already, and fills out with its attributes. A new node takes
// its inode number from the inoTable and gives it back when go-fuse
// forgets it (OnForget).
func (n *dirNode) child(ctx context.Context, e entry, out *fuse.EntryOut) *gofs.Inode {
	if ch := n.known(e); ch != nil {
		switch x := ch.Operations().(type) {
		case *dirNode:
			n.fsys.fillAttr(&out.Attr, syscall.S_IFDIR|n.fsys.opt.DirMode, 0, x.mtime())
		case *fileNode:
			x.fillAttr(&out.Attr)
		}
		return ch
	}
	ino := n.fsys.inos.take(e.identity())
	if e.kind == kindDir {
		ch := n.NewInode(ctx, newDirNode(n.fsys, e.obj.Key), gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino, Gen: 1})
		n.fsys.fillAttr(&out.Attr, syscall.S_IFDIR|n.fsys.opt.DirMode, 0, ch.Operations().(*dirNode).mtime())
		return ch
	}
	ch := n.NewInode(ctx, newFileNode(n.fsys, e.obj, e.id, false), gofs.StableAttr{Mode: syscall.S_IFREG, Ino: ino, Gen: 1})
	ch.Operations().(*fileNode).fillAttr(&out.Attr)
	return ch
}

// known is the directory's child of e's name if it is e's node (the same
// identity): a listing seen again after its TTL makes no new node for each
// name, only to drop it, and the kernel keeps the inode and its pages.
func (n *dirNode) known(e entry) *gofs.Inode {
	ch := n.GetChild(e.name)
	if ch == nil {
		return nil
	}
	switch x := ch.Operations().(type) {
	case *dirNode:
		if e.kind == kindDir && x.dc().prefix == e.obj.Key {
			return ch
		}
	case *fileNode:
		if e.kind == kindFile && x.identity() == e.identity() {
			return ch
		}
	}
	return nil
}

// OnForget gives the directory's inode number back to the inoTable once
// the kernel has forgotten it.
func (n *dirNode) OnForget() { n.fsys.inos.release(dirID(n.dc().prefix), n.StableAttr().Ino) }
