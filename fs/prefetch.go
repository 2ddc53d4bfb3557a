package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/b2mount/b2mount/s3backend"
)

// fillChunk is how many bytes a part fetch reads before waking readers.
const fillChunk = 256 << 10

// keepBehind is how far behind the newest read a prefetched part is kept:
// the kernel sends a sequential stream as concurrent, slightly reordered
// reads.
const keepBehind = 1 << 20

// prefetcher serves one open file's reads (in the style of rclone's chunked
// reader and mountpoint-s3's prefetcher). While reads stay sequential it
// keeps a window of parts ahead of the reader, each a ranged GET pinned to
// the file's ETag and fetched in parallel; the window starts at
// InitialWindow and doubles up to MaxWindow. A read that lands outside the
// window drops it and fetches only the bytes asked for; if the next read
// follows on, a new window starts there. When the shared memory budget is
// spent, reads go straight to the server without buffering.
//
// Safe for concurrent use: the kernel sends reads of one handle in parallel.
type prefetcher struct {
	store Store
	obj   s3backend.Object
	opt   ReadAheadOptions
	pool  *bufPool
	ctx   context.Context // lives as long as the handle; parent of every part fetch
	stop  context.CancelFunc

	mu      sync.Mutex // guards the fields below
	parts   []*part    // the window: contiguous, ascending offsets
	window  int64      // current window size; 0 while reads are random
	lastEnd int64      // end of the furthest read so far; -1 before the first
}

func newPrefetcher(store Store, obj s3backend.Object, opt ReadAheadOptions, pool *bufPool) *prefetcher {
	ctx, stop := context.WithCancel(context.Background())
	return &prefetcher{store: store, obj: obj, opt: opt, pool: pool, ctx: ctx, stop: stop, lastEnd: -1}
}

// ReadAt fills dest from off and returns how many bytes it read; fewer than
// len(dest) only at the end of the file.
func (r *prefetcher) ReadAt(ctx context.Context, dest []byte, off int64) (int, error) {
	size := r.obj.Size
	if off >= size || len(dest) == 0 {
		return 0, nil
	}
	end := min(off+int64(len(dest)), size)
	dest = dest[:end-off]

	r.mu.Lock()
	need := r.planLocked(off, end)
	r.mu.Unlock()

	if need == nil {
		return r.readDirect(ctx, dest, off)
	}
	defer func() {
		for _, p := range need {
			p.release(r.pool)
		}
	}()
	for _, p := range need {
		lo, hi := max(off, p.off), min(end, p.off+p.n)
		if err := p.wait(ctx, hi-p.off); err != nil {
			if ctx.Err() == nil && errors.Is(err, context.Canceled) {
				// Another read of this handle moved the window away.
				return r.readDirect(ctx, dest, off)
			}
			r.reset()
			return 0, fmt.Errorf("read %q at %d: %w", r.obj.Key, lo, err)
		}
		copy(dest[lo-off:hi-off], p.buf[lo-p.off:hi-p.off])
	}
	return len(dest), nil
}

// planLocked moves the window for a read of [off, end) and returns the
// parts that cover it, each with a reference the caller releases, or nil
// when the read should go straight to the server.
func (r *prefetcher) planLocked(off, end int64) []*part {
	sequential := off == r.lastEnd || (off == 0 && r.lastEnd < 0)
	inWindow := len(r.parts) > 0 && off >= r.parts[0].off && off <= r.windowEndLocked()
	if !inWindow {
		r.dropLocked(len(r.parts))
		r.window = 0
		if sequential {
			r.window = r.opt.InitialWindow
		}
	}
	r.lastEnd = max(r.lastEnd, end)
	if r.window == 0 {
		r.lastEnd = end
		return nil
	}
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

// extendLocked schedules parts so that the window reaches past the read,
// doubling the window whenever less than half of it is left ahead.
func (r *prefetcher) extendLocked(off, end int64) {
	next := r.windowEndLocked()
	if len(r.parts) == 0 {
		next = off
	} else if next-end >= r.window/2 {
		return
	} else {
		r.window = min(2*r.window, r.opt.MaxWindow)
	}
	target := min(r.obj.Size, max(end, off+r.window))
	for next < target {
		n := min(r.opt.PartSize, target-next)
		buf, ok := r.pool.get(n)
		if !ok {
			return
		}
		ctx, cancel := context.WithCancel(r.ctx)
		p := &part{off: next, n: n, buf: buf, cancel: cancel, refs: 2, notify: make(chan struct{})}
		r.parts = append(r.parts, p)
		go r.fetch(ctx, p)
		next += n
	}
}

// dropLocked forgets the first n parts of the window.
func (r *prefetcher) dropLocked(n int) {
	for _, p := range r.parts[:n] {
		p.cancel()
		p.release(r.pool)
	}
	r.parts = append(r.parts[:0], r.parts[n:]...)
}

// reset forgets the window after a failed part, so the next read starts over.
func (r *prefetcher) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(len(r.parts))
	r.window = 0
	r.lastEnd = -1
}

// fetch fills one part. It owns one reference to p.
func (r *prefetcher) fetch(ctx context.Context, p *part) {
	defer p.release(r.pool)
	rc, err := r.store.OpenRange(ctx, r.obj.Key, r.obj.ETag, p.off, p.n)
	if err != nil {
		p.fail(err)
		return
	}
	defer rc.Close()
	var filled int64
	for filled < p.n {
		k, err := rc.Read(p.buf[filled:min(filled+fillChunk, p.n)])
		filled += int64(k)
		p.advance(filled)
		if err == io.EOF && filled < p.n {
			err = fmt.Errorf("object %q ended at %d: %w", r.obj.Key, p.off+filled, io.ErrUnexpectedEOF)
		}
		if err != nil && !(errors.Is(err, io.EOF) && filled == p.n) {
			p.fail(err)
			return
		}
	}
}

// readDirect reads [off, off+len(dest)) with one ranged GET straight into dest.
func (r *prefetcher) readDirect(ctx context.Context, dest []byte, off int64) (int, error) {
	rc, err := r.store.OpenRange(ctx, r.obj.Key, r.obj.ETag, off, int64(len(dest)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, dest)
	if err != nil {
		return n, fmt.Errorf("read %q at %d: %w", r.obj.Key, off, err)
	}
	return n, nil
}

// Close stops every fetch and frees the window.
func (r *prefetcher) Close() {
	r.stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(len(r.parts))
}

// part is one ranged GET of the window and the buffer it fills.
type part struct {
	off, n int64
	buf    []byte
	cancel context.CancelFunc

	mu     sync.Mutex    // guards the fields below
	filled int64         // bytes of buf that hold data
	err    error         // why the fetch failed, if it did
	notify chan struct{} // closed and replaced whenever filled or err change
	refs   int           // holders of buf: the window, the fetch, each reader
}

func (p *part) acquire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refs++
}

// release drops one reference; the last one returns the buffer.
func (p *part) release(pool *bufPool) {
	p.mu.Lock()
	p.refs--
	last := p.refs == 0
	p.mu.Unlock()
	if last {
		pool.put(p.buf)
	}
}

func (p *part) advance(filled int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.filled = filled
	close(p.notify)
	p.notify = make(chan struct{})
}

func (p *part) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
	close(p.notify)
	p.notify = make(chan struct{})
}

// wait blocks until the first upto bytes are in, the fetch failed, or ctx ends.
func (p *part) wait(ctx context.Context, upto int64) error {
	for {
		p.mu.Lock()
		filled, err, ch := p.filled, p.err, p.notify
		p.mu.Unlock()
		if filled >= upto {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
