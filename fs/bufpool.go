package fs

import "sync"

// blockSize is the unit of the prefetch memory budget: a part's buffer is a
// list of blocks, so buffers of every part size come from one pool and
// are reused as they are, never freed and allocated again.
const blockSize = 1 << 20

// bufPool is the memory budget shared by every open file of a mount. It
// hands out blocks and never holds more than limit bytes of them, in use
// and free together. Blocks are mapped outside the Go heap where the OS
// allows (bufpool_unix.go), so buffered bytes never make the garbage
// collector let the heap grow: the process's memory is the budget plus a
// small heap. Freed blocks are kept for reuse.
type bufPool struct {
	mu      sync.Mutex // guards the fields below
	limit   int        // blocks, constant
	made    int        // blocks allocated: in use plus free
	free    [][]byte   // blocks not in use
	peak    int        // most blocks in use at once
	streams int        // prefetchers holding blocks, for fair shares
}

func newBufPool(limit int64) *bufPool {
	return &bufPool{limit: int(limit / blockSize)}
}

// blocksFor is how many blocks hold n bytes.
func blocksFor(n int64) int { return int((n + blockSize - 1) / blockSize) }

// get returns blocks holding n bytes, or false when the budget cannot
// spare them all.
func (p *bufPool) get(n int64) ([][]byte, bool) {
	k := blocksFor(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	inUse := p.made - len(p.free)
	if inUse+k > p.limit {
		return nil, false
	}
	out := make([][]byte, 0, k)
	for len(out) < k && len(p.free) > 0 {
		out = append(out, p.free[len(p.free)-1])
		p.free = p.free[:len(p.free)-1]
	}
	for len(out) < k {
		out = append(out, allocBlock())
		p.made++
	}
	p.peak = max(p.peak, inUse+k)
	return out, true
}

// put returns blocks obtained from get.
func (p *bufPool) put(blocks [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, blocks...)
}

// share is the bytes one stream may hold beyond what its current read
// needs: an equal part of the budget for every stream holding blocks.
func (p *bufPool) share() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(p.limit) * blockSize / int64(max(1, p.streams))
}

// addStream counts a prefetcher that starts (+1) or stops (-1) holding blocks.
func (p *bufPool) addStream(d int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streams += d
}

// poolStats is a snapshot of a bufPool, for tests and logs.
type poolStats struct {
	limit, peak, inUse int64 // bytes
}

func (p *bufPool) stats() poolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return poolStats{
		limit: int64(p.limit) * blockSize,
		peak:  int64(p.peak) * blockSize,
		inUse: int64(p.made-len(p.free)) * blockSize,
	}
}
