package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/s3backend"
)

// fillChunk is how many bytes a part fetch reads before waking readers.
const fillChunk = 256 << 10

// errPartDropped is why a part's fetch stops when the window moves away
// from it; a read still waiting on the part then reads straight from the
// server instead of failing.
var errPartDropped = errors.New("prefetched part dropped")

// part is one ranged GET of the window and the blocks it fills.
type part struct {
	off, n int64
	blocks [][]byte // n bytes, block after block
	cancel func()   // stops the fetch with errPartDropped

	mu     sync.Mutex    // guards the fields below
	filled int64         // bytes of blocks that hold data
	err    error         // why the fetch failed, if it did
	notify chan struct{} // closed and replaced whenever filled or err change
	refs   int           // holders of blocks: the window, the fetch, each reader
}

// newPart returns a part of n bytes at off to be filled into blocks, with
// two references: the window's and the fetch's. cancel stops its fetch.
func newPart(off, n int64, blocks [][]byte, cancel func()) *part {
	return &part{off: off, n: n, blocks: blocks, cancel: cancel, refs: 2, notify: make(chan struct{})}
}

// fill fetches the part with one ranged GET of obj pinned to its ETag,
// waking readers every fillChunk bytes, and tells lat how long the GET
// took to answer. A fetch stopped with cause errPartDropped fails with
// errPartDropped: not the server's fault, nobody wants the part.
func (p *part) fill(ctx context.Context, store Store, obj s3backend.Object, lat *latencyMeter) {
	fail := func(err error) {
		if errors.Is(context.Cause(ctx), errPartDropped) {
			err = errPartDropped // not the server's fault: nobody wants the part
		}
		p.fail(err)
	}
	start := lat.now()
	rc, err := store.OpenRange(ctx, obj.Key, obj.ETag, p.off, p.n)
	if err != nil {
		fail(err)
		return
	}
	lat.observe(lat.since(start))
	defer rc.Close()
	var filled int64
	for filled < p.n {
		b := p.blocks[filled/blockSize]
		lo := filled % blockSize
		hi := min(lo+fillChunk, int64(len(b)), lo+p.n-filled)
		k, err := rc.Read(b[lo:hi])
		filled += int64(k)
		p.advance(filled)
		if err == io.EOF && filled < p.n {
			err = fmt.Errorf("object %q ended at %d: %w", obj.Key, p.off+filled, io.ErrUnexpectedEOF)
		}
		if err != nil && !(errors.Is(err, io.EOF) && filled == p.n) {
			fail(err)
			return
		}
	}
}

// appendSlices appends the part's bytes [from, to) (offsets within the
// part) to vecs, one slice per block they touch.
func (p *part) appendSlices(vecs [][]byte, from, to int64) [][]byte {
	for from < to {
		b := p.blocks[from/blockSize]
		lo := from % blockSize
		hi := min(int64(len(b)), lo+to-from)
		vecs = append(vecs, b[lo:hi])
		from += hi - lo
	}
	return vecs
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
		pool.put(p.blocks)
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

// pinnedResult is a read answered from the window: slices of part blocks,
// written to the kernel as they are. It holds a reference to each part
// until Done, so the blocks cannot be reused while the kernel copies them.
type pinnedResult struct {
	pool   *bufPool
	slices [][]byte
	parts  []*part // referenced until Done

	once sync.Once // Done releases the parts once
}

var _ = (fuse.ReadResult)((*pinnedResult)(nil))

// Slices is what go-fuse hands to writev(2) after the reply header.
func (r *pinnedResult) Slices() ([][]byte, fuse.Status) { return r.slices, fuse.OK }

func (r *pinnedResult) Size() int {
	n := 0
	for _, s := range r.slices {
		n += len(s)
	}
	return n
}

// Bytes copies the slices into buf (grown if short), for callers that
// need one contiguous buffer.
func (r *pinnedResult) Bytes(buf []byte) ([]byte, fuse.Status) {
	buf = buf[:0]
	for _, s := range r.slices {
		buf = append(buf, s...)
	}
	return buf, fuse.OK
}

// Done releases the parts; go-fuse calls it after the reply is written.
func (r *pinnedResult) Done() {
	r.once.Do(func() {
		for _, p := range r.parts {
			p.release(r.pool)
		}
		r.slices, r.parts = nil, nil
	})
}
