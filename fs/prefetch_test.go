package fs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

// gatedStore holds back the bodies of GETs at or after gate until open is
// closed.
type gatedStore struct {
	*memstore.Store
	gate int64
	open chan struct{}
}

func (g *gatedStore) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	rc, err := g.Store.OpenRange(ctx, key, etag, off, n)
	if err != nil || off < g.gate {
		return rc, err
	}
	select {
	case <-g.open:
		return rc, nil
	case <-ctx.Done():
		rc.Close()
		return nil, ctx.Err()
	}
}

func TestFullWindowKeepsManyPartsInFlight(t *testing.T) {
	st := &gatedStore{Store: memstore.New(), gate: 64 << 20, open: make(chan struct{})}
	data := pattern(136<<20, 11)
	st.Set("big.bin", data)
	opt := DefaultOptions().Prefetch
	shared := newPrefetchShared(opt.MemoryBudget, testenv.NewClock().Now) // a nearby server: GETs take no time on this clock
	pool := shared.pool
	obj, err := st.Stat(context.Background(), "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	r := newPrefetcher(st, obj, opt, shared)
	defer r.Close()
	buf := make([]byte, 128<<10)
	off := int64(0)
	read := func(until int64) {
		t.Helper()
		for ; off < until; off += int64(len(buf)) {
			n, err := r.ReadAt(context.Background(), buf, off)
			if err != nil || !bytes.Equal(buf[:n], data[off:off+int64(n)]) {
				t.Fatalf("read at %d: %d bytes, %v", off, n, err)
			}
		}
	}
	// Up to the gate every part arrives; the window ahead of the reader
	// is then all scheduled and held back at the gate, in flight at once.
	read(st.gate)
	s, inFlight := pool.stats(), shared.fetches.peak()
	t.Logf("at %d MiB: %d part fetches in flight, %d MiB of %d held", off>>20, inFlight, s.inUse>>20, s.limit>>20)
	// The budget is one full window, and the parts the reader is in and
	// has just left may still hold their blocks: at least half of the
	// window's parts must be in flight at once.
	if inFlight < nearParts/2 {
		t.Errorf("at most %d parts in flight with a full window, want >= %d (one connection each)", inFlight, nearParts/2)
	}
	if s.peak > s.limit {
		t.Errorf("buffers peaked at %d bytes, over the %d budget", s.peak, s.limit)
	}
	close(st.open)
	read(int64(len(data)))
	if st.BytesFetched() != int64(len(data)) {
		t.Errorf("fetched %d bytes for a %d-byte file", st.BytesFetched(), len(data))
	}
}

func TestFarSeekDropsTheWindowAndReadsOnlyWhatWasAsked(t *testing.T) {
	st := memstore.New()
	data := pattern(64<<20, 12)
	st.Set("big.bin", data)
	obj, _ := st.Stat(context.Background(), "big.bin")
	shared := newPrefetchShared(DefaultOptions().Prefetch.MemoryBudget, testenv.NewClock().Now) // a nearby server: GETs take no time on this clock
	pool := shared.pool
	r := newPrefetcher(st, obj, DefaultOptions().Prefetch, shared)
	defer r.Close()
	buf := make([]byte, 128<<10)
	for off := int64(0); off < 1<<20; off += int64(len(buf)) {
		if _, err := r.ReadAt(context.Background(), buf, off); err != nil {
			t.Fatal(err)
		}
	}
	// The window's parts are fetched in the background: let them all
	// reach the store first, so that what follows counts the seek alone.
	if !waitUntil(func() bool { return shared.fetches.current() == 0 }) {
		t.Fatalf("%d window fetches still in flight", shared.fetches.current())
	}
	st.ResetCounts()
	const far = 48 << 20
	if n, err := r.ReadAt(context.Background(), buf, far); err != nil || !bytes.Equal(buf[:n], data[far:far+n]) {
		t.Fatalf("far read: %d bytes, %v", n, err)
	}
	if g := st.Gets(); len(g) != 1 || g[0] != fmt.Sprintf("%d+%d", far, len(buf)) {
		t.Errorf("a far seek fetched %v, want exactly the %d bytes asked", g, len(buf))
	}
	// Fetches of the dropped window end on their own; give them a moment.
	if !waitUntil(func() bool { return pool.stats().inUse == 0 }) {
		t.Errorf("the dropped window still holds %d bytes", pool.stats().inUse)
	}
	// Reading on from there starts a new window at the new place.
	st.ResetCounts()
	if _, err := r.ReadAt(context.Background(), buf, far+int64(len(buf))); err != nil {
		t.Fatal(err)
	}
	if g := st.Gets(); len(g) != 1 || g[0] != fmt.Sprintf("%d+%d", far+len(buf), 1<<20) {
		t.Errorf("reading on after the seek fetched %v, want one 1 MiB part", g)
	}
}
