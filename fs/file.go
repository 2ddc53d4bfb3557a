package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

// fileNode is one version of one object. A replaced object is a new
// fileNode with a new inode number, so obj never changes.
type fileNode struct {
	gofs.Inode

	// Constant.
	fsys *fileSystem
	obj  s3backend.Object
}

var _ = (gofs.NodeGetattrer)((*fileNode)(nil))
var _ = (gofs.NodeOpener)((*fileNode)(nil))
var _ = (gofs.NodeStatfser)((*fileNode)(nil))
var _ = (gofs.NodeOnForgetter)((*fileNode)(nil))

// OnForget lets the file's inode number go once the kernel has forgotten
// it (see inoTable).
func (f *fileNode) OnForget() { f.fsys.inos.unpin(fileID(f.obj.Key, f.obj.ETag), f.StableAttr().Ino) }

// Getattr reports the size and LastModified (as mtime, ctime and atime)
// from the listing or HEAD that found the file, FileMode, owned by UID/GID.
// No request.
func (n *fileNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fillAttr(&out.Attr)
	return 0
}

func (n *fileNode) fillAttr(out *fuse.Attr) {
	n.fsys.fillAttr(out, syscall.S_IFREG|n.fsys.opt.FileMode, n.obj.Size, n.obj.ModTime)
}

// Open sends no request. Opening for writing or truncating fails with
// EROFS. The kernel may keep this file's pages cached across opens
// (FOPEN_KEEP_CACHE): the inode is bound to one ETag, so they cannot be
// stale.
func (n *fileNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
		return nil, 0, syscall.EROFS
	}
	h := &fileHandle{fsys: n.fsys, key: n.obj.Key,
		r: newPrefetcher(n.fsys.store, n.obj, n.fsys.opt.Prefetch, n.fsys.shared)}
	return h, fuse.FOPEN_KEEP_CACHE, 0
}

// Statfs reports a bucket as a huge, empty-looking file system.
func (n *fileNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	statfs(out)
	return 0
}
