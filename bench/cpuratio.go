package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// wSeqRanged is the direct client's sequential read of the big file in
// rangeSize ranged GETs, rangeReaders at once: the baseline of what
// fetching the file the way a mount must (in ranges) costs the machine.
// It runs with the sequential read (-workloads seq).
const wSeqRanged = "sequential read, ranged GETs"

const (
	rangeSize    = 8 << 20
	rangeReaders = 4
)

// rangedSessions makes the direct client's sessions read whole files as
// ranged GETs.
func rangedSessions(fresh freshFunc) freshFunc {
	return func(ctx context.Context) (session, error) {
		s, err := fresh(ctx)
		if err != nil {
			return s, err
		}
		d, ok := s.fs.(directFS)
		if !ok {
			s.stop()
			return session{}, fmt.Errorf("ranged reads need the direct client, not %T", s.fs)
		}
		s.fs = rangedFS{directFS: d}
		return s, nil
	}
}

// rangedFS is the direct client reading whole files as ranged GETs of
// rangeSize, rangeReaders at once, pinned to the ETag of one HEAD.
type rangedFS struct{ directFS }

func (r rangedFS) readWhole(ctx context.Context, key string) (int64, error) {
	obj, err := r.c.Stat(ctx, key)
	if err != nil {
		return 0, err
	}
	offs := make(chan int64)
	var mu sync.Mutex // guards total and firstErr
	var total int64
	var firstErr error
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range rangeReaders {
		wg.Go(func() {
			for off := range offs {
				n, err := r.readRange(ctx, obj.Key, obj.ETag, off, min(rangeSize, obj.Size-off))
				mu.Lock()
				total += n
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for off := int64(0); off < obj.Size; off += rangeSize {
		select {
		case offs <- off:
		case <-ctx.Done():
			break feed
		}
	}
	close(offs)
	wg.Wait()
	if firstErr == nil && total != obj.Size {
		firstErr = fmt.Errorf("read %d bytes of %d", total, obj.Size)
	}
	return total, firstErr
}

func (r rangedFS) readRange(ctx context.Context, key, etag string, off, n int64) (int64, error) {
	rc, err := r.c.OpenRange(ctx, key, etag, off, n)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return drain(ctx, rc)
}

// renderCPU writes the CPU-per-GiB table of the sequential read: each
// mount's own CPU and the machine's, and the machine's over what a mount
// cannot avoid, the direct ranged GETs plus the FUSE ceiling of the same run.
func renderCPU(cfg *config, conts []*contender, ceiling []seqResult) string {
	if !cfg.wants(wSeq) {
		return ""
	}
	direct := conts[0]
	gib := float64(cfg.bigSize) / (1 << 30)
	var ceil []float64
	for _, r := range ceiling {
		ceil = append(ceil, r.machineCPU/gib)
	}
	// floor is direct ranged + ceiling machine CPU per GiB in run i.
	floor := func(i int) float64 {
		if i >= len(direct.runs) || len(ceil) == 0 || direct.runs[i].errs[wSeqRanged] != "" || !direct.runs[i].ran[wSeqRanged] {
			return 0
		}
		c := median(ceil)
		if i < len(ceil) {
			c = ceil[i]
		}
		return direct.runs[i].cold.ranged.machineCPU/gib + c
	}
	t := newTable("contender", "MB/s", "own CPU s/GiB", "machine CPU s/GiB", "÷ (direct ranged + FUSE ceiling)")
	for _, c := range conts[1:] {
		t.row(c, wSeq, 4, wSeq,
			med(func(r runResult) float64 { return r.seq.mbs }, "%.0f"),
			cpu(func(r runResult) float64 { return r.seq.use.cpu / gib }),
			med(func(r runResult) float64 { return r.seq.machineCPU / gib }, "%.2f"),
			func(c *contender, ok func(runResult) bool) string {
				var v []float64
				for i, r := range c.runs {
					if f := floor(i); ok(r) && f > 0 {
						v = append(v, r.seq.machineCPU/gib/f)
					}
				}
				if len(v) == 0 {
					return "–"
				}
				return fmt.Sprintf("%.2f", median(v))
			},
		)
	}
	var b strings.Builder
	b.WriteString("\nCPU per GiB of the cold sequential read against what a mount cannot avoid: the direct client fetching the same file in ranged GETs, and the kernel's FUSE path (the ceiling; lan only). Target for b2mount: ≤ 1.1.\n\n")
	var mbs, busy []float64
	for _, r := range direct.runs {
		if r.errs[wSeqRanged] == "" && r.cold.ranged.secs > 0 {
			mbs = append(mbs, r.cold.ranged.mbs)
			busy = append(busy, r.cold.ranged.machineCPU/gib)
		}
	}
	if len(busy) > 0 {
		fmt.Fprintf(&b, "- direct, %d MiB ranged GETs, %d at once: %.0f MB/s, %.2f machine CPU-s per GiB (medians of %d)\n",
			rangeSize>>20, rangeReaders, median(mbs), median(busy), len(busy))
	}
	if len(ceil) > 0 {
		fmt.Fprintf(&b, "- FUSE ceiling: %.2f machine CPU-s per GiB (median of %d)\n", median(ceil), len(ceil))
	}
	b.WriteString("\n" + t.String())
	return b.String()
}
