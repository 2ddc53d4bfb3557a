package fs

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

func TestDistantServerGetsFourTimesAsManySmallerParts(t *testing.T) {
	opt := DefaultOptions().Prefetch
	r := newPrefetcher(nil, s3backend.Object{}, opt, newPrefetchShared(opt.MemoryBudget, time.Now))
	r.window = opt.MaxWindow
	if got := r.partSizeLocked(); got != 8<<20 {
		t.Errorf("part of a full 64 MiB window before any GET: %d, want 8 MiB", got)
	}
	for range 3 {
		r.latency.observe(time.Millisecond) // loopback
	}
	if got := r.partSizeLocked(); got != 8<<20 {
		t.Errorf("part for a nearby server: %d, want 8 MiB (8 per window)", got)
	}
	for range 30 {
		r.latency.observe(40 * time.Millisecond) // far away
	}
	if got := r.partSizeLocked(); got != 2<<20 {
		t.Errorf("part for a distant server: %d, want 2 MiB (32 per window)", got)
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

// clockedStore is a memstore whose GETs take latency to answer on clock, a
// fake clock only they move: the latency meter measures latency or more for
// every GET, and 0 for none, however loaded the machine is.
type clockedStore struct {
	*memstore.Store
	clock   *testenv.Clock
	latency time.Duration
}

func (s *clockedStore) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	s.clock.Advance(s.latency)
	return s.Store.OpenRange(ctx, key, etag, off, n)
}

// A sequential stream's window doubles nearby; for a distant server, where
// each step costs a round trip, it jumps to the full window as soon as the
// first part has shown the server to be distant, split into 2 MiB parts
// all fetched at once. From 1 MiB, it reaches 64 MiB after 18 reads
// of 1 MiB nearby and after 2 far away. (It grows when less than three
// quarters of it is left ahead of the read.)
func TestWindowGrowsFasterForADistantServer(t *testing.T) {
	// Nearby, a window of W MiB is split into parts of W/8 MiB, at least one block.
	near := slices.Concat(slices.Repeat([]int64{1}, 11), slices.Repeat([]int64{2}, 5), slices.Repeat([]int64{4}, 5), slices.Repeat([]int64{8}, 5))
	far := slices.Concat([]int64{1}, slices.Repeat([]int64{2}, 32)) // 0 to 65 MiB
	for _, tc := range []struct {
		name  string
		ttfb  time.Duration // of every GET
		want  []int64       // window in MiB after each 1 MiB read
		parts []int64       // MiB of each part scheduled, in file order
	}{
		{"near", 0, []int64{1, 2, 4, 8, 8, 16, 16, 16, 16, 32, 32, 32, 32, 32, 32, 32, 32, 64, 64}, near},
		{"far", 30 * time.Millisecond, []int64{1, 64, 64, 64, 64, 64, 64, 64}, far},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testenv.NewClock()
			st := &clockedStore{Store: memstore.New(), clock: clock, latency: tc.ttfb}
			st.Set("big.bin", make([]byte, 256<<20))
			obj, err := st.Stat(t.Context(), "big.bin")
			if err != nil {
				t.Fatal(err)
			}
			opt := DefaultOptions().Prefetch
			opt.MemoryBudget = 256 << 20 // room for the whole window
			shared := newPrefetchShared(opt.MemoryBudget, clock.Now)
			shared.latency.observe(tc.ttfb)
			r := newPrefetcher(st, obj, opt, shared)
			defer r.Close()
			buf := make([]byte, 1<<20)
			var got, parts []int64
			var seen int64 // end of the last part recorded
			for i := range tc.want {
				if _, err := r.ReadAt(t.Context(), buf, int64(i)<<20); err != nil {
					t.Fatal(err)
				}
				r.mu.Lock()
				got = append(got, r.window>>20)
				for _, p := range r.parts {
					if p.off >= seen {
						parts = append(parts, p.n>>20)
						seen = p.off + p.n
					}
				}
				r.mu.Unlock()
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("window in MiB after each read: %v, want %v", got, tc.want)
			}
			if !slices.Equal(parts, tc.parts) {
				t.Errorf("parts scheduled, MiB each: %v, want %v", parts, tc.parts)
			}
		})
	}
}
