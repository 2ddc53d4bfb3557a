package fs

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
)

// remoteStore is a memstore behind a simulated network: every GET's first byte
// comes after latency, and each GET streams at most rate bytes/s. It uses
// timers, not CPU, so a benchmark on it measures how well the prefetcher
// overlaps GETs, not how fast this machine copies.
type remoteStore struct {
	*memstore.Store
	latency time.Duration
	rate    float64 // bytes per second per GET
}

func (l *remoteStore) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	rc, err := l.Store.OpenRange(ctx, key, etag, off, n)
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(l.latency):
	case <-ctx.Done():
		rc.Close()
		return nil, ctx.Err()
	}
	return &pacedReader{ReadCloser: rc, ctx: ctx, rate: l.rate, start: time.Now()}, nil
}

// pacedReader delivers bytes no faster than rate since start.
type pacedReader struct {
	io.ReadCloser
	ctx   context.Context
	rate  float64
	start time.Time
	done  int64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	p.done += int64(n)
	due := p.start.Add(time.Duration(float64(p.done) / p.rate * float64(time.Second)))
	select {
	case <-time.After(time.Until(due)):
	case <-p.ctx.Done():
		return n, p.ctx.Err()
	}
	return n, err
}

// benchmarkStream reads an object of size bytes sequentially in 1 MiB
// reads (as the kernel does with a 1 MiB read-ahead) with the default
// options, on a fresh mount's memory budget each time.
func benchmarkStream(b *testing.B, size int64, latency time.Duration, rate float64) {
	st := &remoteStore{Store: memstore.New(), latency: latency, rate: rate}
	st.Set("big.bin", make([]byte, size))
	obj, err := st.Stat(context.Background(), "big.bin")
	if err != nil {
		b.Fatal(err)
	}
	opt := DefaultOptions().Prefetch
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		shared := newPrefetchShared(opt.MemoryBudget, time.Now)
		r := newPrefetcher(st, obj, opt, shared)
		for off := int64(0); off < size; off += int64(len(buf)) {
			if _, err := r.ReadAt(context.Background(), buf, off); err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if s := shared.pool.stats(); s.peak > s.limit {
			b.Fatalf("buffers peaked at %d, budget %d", s.peak, s.limit)
		}
		b.ReportMetric(float64(shared.fetches.peak()), "max-parts-in-flight")
	}
}

// The bench's wan profile: 30 ms to the first byte, 50 MB/s per
// connection. One GET of the whole object would take 10.7 s (50 MB/s);
// the target is at least 9 connections' worth, 450 MB/s.
func BenchmarkPrefetcherWAN(b *testing.B) { benchmarkStream(b, 512<<20, 30*time.Millisecond, 50e6) }

// A 64 MiB file on the wan profile: mostly the window's ramp from 1 MiB.
func BenchmarkPrefetcherWAN64MiB(b *testing.B) {
	benchmarkStream(b, 64<<20, 30*time.Millisecond, 50e6)
}

// B2 as seen from far away: 100 ms to the first byte, 25 MB/s per connection.
func BenchmarkPrefetcherFarWAN(b *testing.B) { benchmarkStream(b, 512<<20, 100*time.Millisecond, 25e6) }
