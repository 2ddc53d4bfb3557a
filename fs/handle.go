package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fileHandle is one open of a file; its prefetcher holds the read state.
type fileHandle struct {
	fsys *fileSystem
	key  string
	r    *prefetcher
}

var _ = (gofs.FileReader)((*fileHandle)(nil))
var _ = (gofs.FileReleaser)((*fileHandle)(nil))

// Read returns the bytes at off, short only at the end of the file. A
// replaced object, an outage or exhausted retries give EIO.
func (h *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n, err := h.r.ReadAt(ctx, dest, off)
	if err != nil {
		return nil, h.fsys.errno("read", h.key, err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// Release stops the handle's prefetches and frees its buffers.
func (h *fileHandle) Release(ctx context.Context) syscall.Errno {
	h.r.Close()
	return 0
}
