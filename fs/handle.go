package fs

import (
	"context"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// repeatWindow is how long a read that failed with EIO answers a repeat of
// itself at once. The kernel asks a second time for a page its read-ahead
// could not get; without this, one read(2) during an outage would wait
// OperationTimeout twice.
const repeatWindow = time.Second

// fileHandle is one open of a file; its prefetcher holds the read state.
type fileHandle struct {
	fsys *fileSystem
	key  string
	r    *prefetcher

	mu     sync.Mutex  // guards failed
	failed *failedRead // the last read that failed with EIO, if any
}

// failedRead is a read that failed, remembered for repeatWindow.
type failedRead struct {
	off, end int64
	errno    syscall.Errno
	at       time.Time
}

var _ = (gofs.FileReader)((*fileHandle)(nil))
var _ = (gofs.FileReleaser)((*fileHandle)(nil))

// Read returns the bytes at off, short only at the end of the file. A
// replaced object, an outage or exhausted retries give EIO; a read of the
// same bytes right after such a failure gets it at once.
func (h *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	end := off + int64(len(dest))
	if e := h.recentFailure(off, end); e != 0 {
		return nil, e
	}
	res, err := h.r.Read(ctx, dest, off)
	if err != nil {
		e := h.fsys.errno(ctx, "read", h.key, err)
		if e == syscall.EIO {
			h.mu.Lock()
			h.failed = &failedRead{off: off, end: end, errno: e, at: h.fsys.opt.Clock()}
			h.mu.Unlock()
		}
		return nil, e
	}
	return res, 0
}

// recentFailure returns the errno of a failed read of overlapping bytes
// less than repeatWindow ago, or 0.
func (h *fileHandle) recentFailure(off, end int64) syscall.Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.failed
	if f == nil || off >= f.end || end <= f.off || h.fsys.opt.Clock().Sub(f.at) >= repeatWindow {
		return 0
	}
	return f.errno
}

// Release stops the handle's prefetches and frees its buffers.
func (h *fileHandle) Release(ctx context.Context) syscall.Errno {
	h.r.Close()
	return 0
}
