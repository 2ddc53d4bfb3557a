package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// What a bucket cannot hold. On a read-only mount every change answers
// EROFS (the kernel refuses most of them on an "ro" mount already), so
// that no operation ever turns into a PUT, POST, DELETE or COPY. On a
// read-write mount, special files, symbolic and hard links are EPERM, as
// on file systems without them, and extended attributes ENOTSUP (which cp
// -a and rsync -X take as "none to copy").

var _ = (gofs.NodeMknoder)((*dirNode)(nil))
var _ = (gofs.NodeSymlinker)((*dirNode)(nil))
var _ = (gofs.NodeLinker)((*dirNode)(nil))
var _ = (gofs.NodeSetxattrer)((*dirNode)(nil))
var _ = (gofs.NodeRemovexattrer)((*dirNode)(nil))
var _ = (gofs.NodeSetxattrer)((*fileNode)(nil))
var _ = (gofs.NodeRemovexattrer)((*fileNode)(nil))

// unsupported is EROFS on a read-only mount, else e.
func (f *fileSystem) unsupported(e syscall.Errno) syscall.Errno {
	if f.w == nil {
		return syscall.EROFS
	}
	return e
}

func (n *dirNode) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, n.fsys.unsupported(syscall.EPERM)
}

func (n *dirNode) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, n.fsys.unsupported(syscall.EPERM)
}

func (n *dirNode) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, n.fsys.unsupported(syscall.EPERM)
}

func (n *dirNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return n.fsys.unsupported(syscall.ENOTSUP)
}

func (n *dirNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return n.fsys.unsupported(syscall.ENOTSUP)
}

func (n *fileNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return n.fsys.unsupported(syscall.ENOTSUP)
}

func (n *fileNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return n.fsys.unsupported(syscall.ENOTSUP)
}
