package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// fsync(2) of what has nothing to upload. Without these, go-fuse answers
// EOPNOTSUPP, which the kernel passes on: `sync FILE`, a program that
// fsyncs a file it opened for reading, and one that makes a rename
// durable the usual way (write, fsync, rename, fsync the directory) all
// failed. A file open for writing uploads at fsync (writeHandle.Fsync).
var _ = (gofs.FileFsyncer)((*fileHandle)(nil))
var _ = (gofs.NodeFsyncer)((*dirNode)(nil))

// Fsync of a file opened for reading changes nothing: 0, as on any file
// system.
func (h *fileHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return 0 }

// Fsync of a directory returns 0: every change of its names this mount
// makes (mkdir, rmdir, rename, unlink) is in the bucket before the call
// that made it returns, and a new file is there once its own close or
// fsync returned 0.
func (n *dirNode) Fsync(ctx context.Context, f gofs.FileHandle, flags uint32) syscall.Errno {
	return 0
}
