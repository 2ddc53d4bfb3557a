package fs

import (
	"testing"
	"time"
)

func TestSlowLinkGetsFourTimesAsManySmallerParts(t *testing.T) {
	opt := DefaultOptions().ReadAhead
	r := &prefetcher{opt: opt, pool: newBufPool(opt.MemoryBudget), window: opt.MaxWindow}
	if got := r.partSizeLocked(); got != 8<<20 {
		t.Errorf("part of a full 64 MiB window before any GET: %d, want 8 MiB", got)
	}
	for range 3 {
		r.pool.link.observe(time.Millisecond) // loopback
	}
	if got := r.partSizeLocked(); got != 8<<20 {
		t.Errorf("part on a fast link: %d, want 8 MiB (8 per window)", got)
	}
	for range 30 {
		r.pool.link.observe(40 * time.Millisecond) // far away
	}
	if got := r.partSizeLocked(); got != 2<<20 {
		t.Errorf("part on a slow link: %d, want 2 MiB (32 per window)", got)
	}
	r.window = 1 << 20
	if got := r.partSizeLocked(); got != 1<<20 {
		t.Errorf("part of a 1 MiB window: %d, want one block", got)
	}
	r.window, r.opt.MaxWindow = 1<<30, 1<<30
	if got := r.partSizeLocked(); got != opt.PartSize {
		t.Errorf("part of a 1 GiB window: %d, want PartSize %d", got, opt.PartSize)
	}
}
