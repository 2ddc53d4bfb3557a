package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/b2mount/b2mount/s3backend"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// keepBehind is how far behind the newest read a prefetched part is kept:
// the kernel sends a sequential stream as concurrent, slightly reordered
// reads.
const keepBehind = 1 << 20

// nearWindow is how far from the window a read may land and still be taken
// for a straggler of the sequential stream (served alone, the window kept)
// rather than a seek elsewhere (which drops the window).
const nearWindow = 8 << 20

// prefetcher is the window policy of b2mount's prefetch engine for one
// open file (in the style of rclone's chunked reader and mountpoint-s3's
// prefetcher). While reads stay sequential it keeps a window of parts
// (part.go) ahead of the reader, each a ranged GET pinned to the file's
// ETag and fetched in parallel; the window starts at InitialWindow and
// doubles up to MaxWindow, or jumps to MaxWindow for a distant server (the
// window policy, prefetchpolicy.go). A read that lands far from the window drops
// it and fetches only the bytes asked for; if the next read follows on, a
// new window starts there. Each stream may hold an equal share of the
// mount's memory budget (bufPool); when the budget is spent, reads go
// straight to the server without buffering. What the open files of a mount
// share is in prefetchShared.
//
// Safe for concurrent use: the kernel sends reads of one handle in parallel.
type prefetcher struct {
	// Constant.
	store   Store
	obj     s3backend.Object
	opt     PrefetchOptions
	pool    *bufPool        // the mount's memory budget
	latency *latencyMeter   // the mount's, fed by every part fetch
	fetches *fetchCounter   // the mount's part fetches in flight
	served  *atomic.Int64   // the mount's bytes served from buffers
	ctx     context.Context // lives as long as the handle; parent of every part fetch
	stop    context.CancelFunc

	mu        sync.Mutex // guards the fields below; never held across network I/O
	parts     []*part    // the window: contiguous, ascending offsets
	window    int64      // current window size; 0 while reads are random
	lastEnd   int64      // end of the furthest read so far; -1 before the first
	held      int64      // bytes of blocks the window holds
	streaming bool       // counted in pool.streams (the window holds blocks)
}

func newPrefetcher(store Store, obj s3backend.Object, opt PrefetchOptions, shared *prefetchShared) *prefetcher {
	ctx, stop := context.WithCancel(context.Background())
	return &prefetcher{store: store, obj: obj, opt: opt,
		pool: shared.pool, latency: shared.latency, fetches: shared.fetches, served: &shared.served,
		ctx: ctx, stop: stop, lastEnd: -1}
}

// Read returns the bytes at off, at most len(dest), fewer only at the end
// of the file. Bytes already in the window are not copied: the result
// points into the parts' blocks and keeps them from reuse until its Done is
// called, which go-fuse does once the kernel has them (it writes the
// slices with writev). A read the window does not cover is fetched
// straight into dest.
func (r *prefetcher) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, error) {
	size := r.obj.Size
	if off >= size || len(dest) == 0 {
		return fuse.ReadResultData(nil), nil
	}
	end := min(off+int64(len(dest)), size)
	dest = dest[:end-off]

	r.mu.Lock()
	need := r.planLocked(off, end)
	r.mu.Unlock()

	if need == nil {
		return r.readDirect(ctx, dest, off)
	}
	res := &pinnedResult{pool: r.pool, parts: need}
	for _, p := range need {
		lo, hi := max(off, p.off), min(end, p.off+p.n)
		if err := p.wait(ctx, hi-p.off); err != nil {
			res.Done()
			if errors.Is(err, errPartDropped) {
				// Another read of this handle moved the window away.
				return r.readDirect(ctx, dest, off)
			}
			r.reset()
			return nil, fmt.Errorf("read %q at %d: %w", r.obj.Key, lo, err)
		}
		res.slices = p.appendSlices(res.slices, lo-p.off, hi-p.off)
	}
	r.served.Add(end - off)
	return res, nil
}

// ReadAt is Read into dest: it fills dest from off and returns how many
// bytes it read, fewer than len(dest) only at the end of the file.
func (r *prefetcher) ReadAt(ctx context.Context, dest []byte, off int64) (int, error) {
	res, err := r.Read(ctx, dest, off)
	if err != nil {
		return 0, err
	}
	defer res.Done()
	// Both results fill dest[:0] in place (or are dest): no second copy.
	b, _ := res.Bytes(dest[:0])
	return len(b), nil
}

// planLocked moves the window for a read of [off, end) and returns the
// parts that cover it, each with a reference the caller releases, or nil
// when the read should go straight to the server.
func (r *prefetcher) planLocked(off, end int64) []*part {
	hasWindow := len(r.parts) > 0
	first, last := int64(0), r.windowEndLocked()
	if hasWindow {
		first = r.parts[0].off
	}
	switch {
	case hasWindow && off >= first && off <= last+r.window:
		// In the window, or just past it: the kernel reads ahead of the
		// application and reorders; the gap is fetched too.
	case hasWindow && off >= first-nearWindow && off <= last+nearWindow:
		// A straggler near the window: serve it alone, keep the window.
		return nil
	case !hasWindow && (off == r.lastEnd || (off == 0 && r.lastEnd < 0)):
		// Sequential again (or the first read, at 0): start a window.
		r.window = r.opt.InitialWindow
	default:
		// A seek elsewhere: forget the window, read only what was asked.
		r.dropLocked(len(r.parts))
		r.window = 0
		r.lastEnd = end
		return nil
	}
	r.lastEnd = max(r.lastEnd, end)
	// Forget parts well behind the reader.
	drop := 0
	for drop < len(r.parts) && r.parts[drop].off+r.parts[drop].n <= off-keepBehind {
		drop++
	}
	r.dropLocked(drop)
	r.extendLocked(off, end)

	var need []*part
	covered := off
	for _, p := range r.parts {
		if p.off+p.n <= off || p.off >= end {
			continue
		}
		if p.off > covered {
			break
		}
		need = append(need, p)
		covered = p.off + p.n
	}
	if covered < end {
		return nil // the budget ran out before the window reached the read
	}
	for _, p := range need {
		p.acquire()
	}
	return need
}

// windowEndLocked is the offset just past the last scheduled part.
func (r *prefetcher) windowEndLocked() int64 {
	if len(r.parts) == 0 {
		return 0
	}
	last := r.parts[len(r.parts)-1]
	return last.off + last.n
}

// partSizeLocked is the size of the next part: the window split in as
// many parts as the server's latency calls for (partsPerWindow), in whole
// blocks, within [blockSize, PartSize]. Each part is one GET on its own
// connection.
func (r *prefetcher) partSizeLocked() int64 {
	parts := partsPerWindow(r.latency.far())
	return min(r.opt.PartSize, max(blockSize, (r.window/parts)&^(blockSize-1)))
}

// extendLocked schedules parts so that the window reaches past the read,
// growing the window (nextWindow) whenever less than three quarters of it
// is left ahead (so it grows quickly while the first parts are still
// arriving). Parts the read itself needs are taken while the
// budget lasts; parts beyond it only within the stream's share.
func (r *prefetcher) extendLocked(off, end int64) {
	next := r.windowEndLocked()
	switch {
	case len(r.parts) == 0:
		next = off
	case next-end < r.window*3/4:
		r.window = nextWindow(r.window, r.opt.MaxWindow, r.latency.far())
	default:
		return
	}
	target := min(r.obj.Size, max(end, off+r.window))
	share := r.pool.share()
	size := r.partSizeLocked()
	for next < target {
		n := min(size, target-next)
		if next >= end && r.held+int64(blocksFor(n))*blockSize > share {
			return
		}
		blocks, ok := r.pool.get(n)
		if !ok {
			return
		}
		if !r.streaming {
			r.streaming = true
			r.pool.addStream(1)
		}
		r.held += int64(len(blocks)) * blockSize
		ctx, cancel := context.WithCancelCause(r.ctx)
		p := newPart(next, n, blocks, func() { cancel(errPartDropped) })
		r.parts = append(r.parts, p)
		r.fetches.start()
		go r.fetch(ctx, p)
		next += n
	}
}

// dropLocked forgets the first n parts of the window.
func (r *prefetcher) dropLocked(n int) {
	for _, p := range r.parts[:n] {
		p.cancel()
		r.held -= int64(len(p.blocks)) * blockSize
		p.release(r.pool)
	}
	r.parts = append(r.parts[:0], r.parts[n:]...)
	if len(r.parts) == 0 && r.streaming {
		r.streaming = false
		r.pool.addStream(-1)
	}
}

// reset forgets the window after a failed part, so the next read starts over.
func (r *prefetcher) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(len(r.parts))
	r.window = 0
	r.lastEnd = -1
}

// fetch fills one part, counted among the fetches in flight. It owns one
// reference to p.
func (r *prefetcher) fetch(ctx context.Context, p *part) {
	defer r.fetches.done()
	defer p.release(r.pool)
	p.fill(ctx, r.store, r.obj, r.latency)
}

// readDirect reads [off, off+len(dest)) with one ranged GET straight into dest.
func (r *prefetcher) readDirect(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, error) {
	rc, err := r.store.OpenRange(ctx, r.obj.Key, r.obj.ETag, off, int64(len(dest)))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, dest); err != nil {
		return nil, fmt.Errorf("read %q at %d: %w", r.obj.Key, off, err)
	}
	return fuse.ReadResultData(dest), nil
}

// Close stops every fetch and frees the window.
func (r *prefetcher) Close() {
	r.stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(len(r.parts))
}
