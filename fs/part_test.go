package fs

import (
	"bytes"
	"context"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

func TestWindowReadsAreAnsweredWithoutACopyAndPinnedUntilDone(t *testing.T) {
	st := memstore.New()
	data := pattern(8<<20, 13)
	st.Set("a.bin", data)
	st.Set("b.bin", pattern(8<<20, 14))
	ctx := context.Background()
	opt := DefaultOptions().Prefetch
	shared := newPrefetchShared(opt.MemoryBudget, testenv.NewClock().Now) // a nearby server: GETs take no time on this clock
	pool := shared.pool
	objA, _ := st.Stat(ctx, "a.bin")
	a := newPrefetcher(st, objA, opt, shared)

	// A read across the first block boundary of the window: two slices,
	// straight out of the parts' blocks.
	dest := make([]byte, 256<<10)
	const off = 1<<20 - 100<<10
	if _, err := a.ReadAt(ctx, dest, 0); err != nil { // starts the window at 0
		t.Fatal(err)
	}
	res, err := a.Read(ctx, dest, off)
	if err != nil {
		t.Fatal(err)
	}
	pinned, ok := res.(*pinnedResult)
	if !ok {
		t.Fatalf("a read inside the window returned %T, want the window's own blocks", res)
	}
	slices, _ := pinned.Slices()
	if len(slices) != 2 || res.Size() != len(dest) {
		t.Fatalf("read across a block boundary: %d slices, %d bytes; want 2 slices, %d bytes", len(slices), res.Size(), len(dest))
	}
	got := bytes.Join(slices, nil)
	if !bytes.Equal(got, data[off:off+len(dest)]) {
		t.Fatal("the slices do not hold the file's bytes")
	}
	for i := range dest {
		dest[i] = 0xff
	}
	if !bytes.Equal(bytes.Join(slices, nil), got) {
		t.Fatal("the reply lives in dest; want the window's blocks as they are")
	}

	// Closing the file while the kernel still copies the reply must not
	// free the blocks: another file's window may not reuse them.
	a.Close()
	objB, _ := st.Stat(ctx, "b.bin")
	b := newPrefetcher(st, objB, opt, shared)
	defer b.Close()
	for o := int64(0); o < 8<<20; o += int64(len(dest)) {
		if _, err := b.ReadAt(ctx, dest, o); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(bytes.Join(slices, nil), data[off:off+len(dest)]) {
		t.Fatal("a pinned reply was overwritten by another file before Done")
	}
	if s := pool.stats(); s.inUse == 0 {
		t.Fatal("no blocks in use while a reply is pinned")
	}
	res.Done()
	res.Done() // go-fuse calls it once; a second call must be harmless
	b.Close()
	waitUntil(func() bool { return pool.stats().inUse == 0 }) // fetches of closed windows end on their own
	if s := pool.stats(); s.inUse != 0 {
		t.Errorf("%d bytes still in use after Done and Close", s.inUse)
	}
}
