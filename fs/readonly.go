package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The mount is read-only. The kernel already refuses most writes on an
// "ro" mount; these answer EROFS for whatever reaches us anyway, so that
// no operation ever turns into a PUT, POST, DELETE or COPY.

var _ = (gofs.NodeCreater)((*dirNode)(nil))
var _ = (gofs.NodeMkdirer)((*dirNode)(nil))
var _ = (gofs.NodeMknoder)((*dirNode)(nil))
var _ = (gofs.NodeUnlinker)((*dirNode)(nil))
var _ = (gofs.NodeRmdirer)((*dirNode)(nil))
var _ = (gofs.NodeRenamer)((*dirNode)(nil))
var _ = (gofs.NodeSymlinker)((*dirNode)(nil))
var _ = (gofs.NodeLinker)((*dirNode)(nil))
var _ = (gofs.NodeSetattrer)((*dirNode)(nil))
var _ = (gofs.NodeSetxattrer)((*dirNode)(nil))
var _ = (gofs.NodeRemovexattrer)((*dirNode)(nil))
var _ = (gofs.NodeSetattrer)((*fileNode)(nil))
var _ = (gofs.NodeSetxattrer)((*fileNode)(nil))
var _ = (gofs.NodeRemovexattrer)((*fileNode)(nil))

func (n *dirNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EROFS
}

func (n *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *dirNode) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *dirNode) Unlink(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }

func (n *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }

func (n *dirNode) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	return syscall.EROFS
}

func (n *dirNode) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *dirNode) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *dirNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return syscall.EROFS
}

func (n *dirNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.EROFS
}

func (n *dirNode) Removexattr(ctx context.Context, attr string) syscall.Errno { return syscall.EROFS }

func (n *fileNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return syscall.EROFS
}

func (n *fileNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.EROFS
}

func (n *fileNode) Removexattr(ctx context.Context, attr string) syscall.Errno { return syscall.EROFS }
