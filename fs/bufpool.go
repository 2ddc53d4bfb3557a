package fs

import "sync"

// minBufClass is the smallest buffer handed out; smaller requests round up.
const minBufClass = 64 << 10

// bufPool is the memory budget shared by every open file: it hands out
// buffers in power-of-two size classes and never holds more than limit
// bytes, in use and free together. Freed buffers are kept for reuse, so a
// steady stream of reads allocates nothing and the garbage collector has
// nothing to chase.
type bufPool struct {
	mu    sync.Mutex       // guards the fields below
	limit int64            // bytes, constant
	held  int64            // bytes allocated: in use plus free
	free  map[int][][]byte // size class -> buffers not in use
}

func newBufPool(limit int64) *bufPool {
	return &bufPool{limit: limit, free: make(map[int][][]byte)}
}

func sizeClass(n int64) int {
	c := minBufClass
	for int64(c) < n {
		c <<= 1
	}
	return c
}

// get returns a buffer of length n, or false when the budget is spent.
func (p *bufPool) get(n int64) ([]byte, bool) {
	c := sizeClass(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		return b[:n], true
	}
	// Make room by forgetting free buffers of other classes.
	for class, l := range p.free {
		for len(l) > 0 && p.held+int64(c) > p.limit {
			l = l[:len(l)-1]
			p.held -= int64(class)
		}
		p.free[class] = l
	}
	if p.held+int64(c) > p.limit {
		return nil, false
	}
	p.held += int64(c)
	return make([]byte, n, c), true
}

// put returns a buffer obtained from get.
func (p *bufPool) put(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := cap(b)
	p.free[c] = append(p.free[c], b[:c])
}
