package main

import (
	"fmt"
	"slices"
	"strings"
)

// renderProfile writes the Markdown tables of one profile: medians over
// the runs, ratios to the direct client of the same run, exact counts
// (a range when runs differ).
func renderProfile(p profile, cfg *config, conts []*contender, ceiling []seqResult, loadBefore, loadAfter string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Profile %s", p.name)
	if p.shaped {
		fmt.Fprintf(&b, " (%v first-byte latency, %.0f MB/s per connection)", p.shape.Latency, p.linkCap)
	} else {
		b.WriteString(" (loopback, no shaping)")
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "- 1-minute load average: %s before, %s after (the bench itself keeps about 2 busy)\n", loadBefore, loadAfter)
	direct := conts[0]
	for _, c := range conts[1:] {
		if c.skip != "" {
			fmt.Fprintf(&b, "- %s: skipped, %s\n", c.name, c.skip)
		}
	}

	t := newTable("contender", fmt.Sprintf("%d MiB cold MB/s", cfg.bigSize>>20), "× direct", "GET", "fetched/read", "peak RSS MiB", "CPU s/GiB", "machine CPU s/GiB",
		fmt.Sprintf("%d files at once MB/s", cfg.parFiles), "× direct", "peak RSS MiB", "CPU s/GiB")
	gib := func(n int64) float64 { return float64(n) / (1 << 30) }
	for _, c := range conts {
		t.row(c, wSeq, 7, wPar,
			med(func(r runResult) float64 { return r.seq.mbs }, "%.0f"),
			ratio(direct, func(r runResult) float64 { return r.seq.mbs }),
			count(func(r runResult) int { return r.seq.c.get }),
			med(func(r runResult) float64 { return float64(r.seq.c.bytes) / float64(cfg.bigSize) }, "%.2f"),
			rss(func(r runResult) int64 { return r.seq.use.rss }),
			cpu(func(r runResult) float64 { return r.seq.use.cpu / gib(cfg.bigSize) }),
			med(func(r runResult) float64 { return r.seq.machineCPU / gib(cfg.bigSize) }, "%.2f"),
			med(func(r runResult) float64 { return r.par.mbs }, "%.0f"),
			ratio(direct, func(r runResult) float64 { return r.par.mbs }),
			rss(func(r runResult) int64 { return r.par.use.rss }),
			cpu(func(r runResult) float64 { return r.par.use.cpu / gib(int64(cfg.parFiles)*cfg.parSize) }),
		)
	}
	b.WriteString(wanted(cfg, "Sequential reads (1 MiB read calls; every run on a fresh mount; CPU s/GiB = the mount process's user+system CPU, from mount to unmount, per GiB read; machine CPU s/GiB = CPU-seconds the whole machine was busy during the read, server and proxy included, per GiB):\n\n"+t.String(), wSeq, wPar))
	if len(ceiling) > 0 {
		mbs := make([]float64, len(ceiling))
		busy := make([]float64, len(ceiling))
		for i, r := range ceiling {
			mbs[i], busy[i] = r.mbs, r.machineCPU/gib(cfg.bigSize)
		}
		fmt.Fprintf(&b, "\nFUSE ceiling: the same cold read of a %d MiB file that a go-fuse daemon inside the bench serves from memory (no server, no network, b2mount's mount settings): %.0f MB/s, %.2f machine CPU-s per GiB (medians of %d).\n",
			cfg.bigSize>>20, median(mbs), median(busy), len(ceiling))
	}
	if p.linkCap > 0 && cfg.wants(wSeq, wPar) {
		fmt.Fprintf(&b, "\nOne connection carries at most %.0f MB/s here; 9× that is %.0f MB/s.\n", p.linkCap, 9*p.linkCap)
	}

	t = newTable("contender", fmt.Sprintf("ls -l %d files s", cfg.smallFiles), "× direct", "LIST", "HEAD", "GET",
		fmt.Sprintf("ls -lR %d dirs s", treeDirs+1), "× direct", "LIST", "HEAD")
	for _, c := range conts {
		t.row(c, wLs, 5, wTree,
			med(func(r runResult) float64 { return r.ls.secs }, "%.3f"),
			ratio(direct, func(r runResult) float64 { return r.ls.secs }),
			count(func(r runResult) int { return r.ls.c.list }),
			count(func(r runResult) int { return r.ls.c.head }),
			count(func(r runResult) int { return r.ls.c.get }),
			med(func(r runResult) float64 { return r.tree.secs }, "%.3f"),
			ratio(direct, func(r runResult) float64 { return r.tree.secs }),
			count(func(r runResult) int { return r.tree.c.list }),
			count(func(r runResult) int { return r.tree.c.head }),
		)
	}
	b.WriteString(wanted(cfg, "\nListings (cold; the direct client makes the same LIST calls one after another):\n\n"+t.String(), wLs, wTree))

	t = newTable("contender", "read 5 photos s", "× direct", "GET", "HEAD", "LIST", "other", "read again: requests")
	for _, c := range conts {
		t.row(c, wPhotos, 7, wPhotos,
			med(func(r runResult) float64 { return r.photos.secs }, "%.3f"),
			ratio(direct, func(r runResult) float64 { return r.photos.secs }),
			count(func(r runResult) int { return r.photos.first.get }),
			count(func(r runResult) int { return r.photos.first.head }),
			count(func(r runResult) int { return r.photos.first.list }),
			count(func(r runResult) int { return r.photos.first.other }),
			count(func(r runResult) int {
				s := r.photos.second
				return s.get + s.head + s.list + s.other
			}),
		)
	}
	b.WriteString(wanted(cfg, "\nPhotos (their folder listed first, then each opened and read whole; counts exclude the listing):\n\n"+t.String(), wPhotos))

	t = newTable("contender", "4 KiB IOPS", "MB/s", "GET/read", "fetched/read", "1 MiB IOPS", "MB/s", "GET/read", "fetched/read")
	for _, c := range conts {
		t.row(c, wRand4k, 4, wRand1m,
			med(func(r runResult) float64 { return r.rand4k.iops }, "%.0f"),
			med(func(r runResult) float64 { return r.rand4k.mbs }, "%.1f"),
			med(func(r runResult) float64 { return r.rand4k.gets }, "%.2f"),
			med(func(r runResult) float64 { return r.rand4k.fetched }, "%.1f"),
			med(func(r runResult) float64 { return r.rand1m.iops }, "%.1f"),
			med(func(r runResult) float64 { return r.rand1m.mbs }, "%.0f"),
			med(func(r runResult) float64 { return r.rand1m.gets }, "%.2f"),
			med(func(r runResult) float64 { return r.rand1m.fetched }, "%.2f"),
		)
	}
	b.WriteString(wanted(cfg, fmt.Sprintf("\nRandom reads (one at a time, each block of the file at most once, in an order from a fixed seed, for %v; fetched/read = bytes the server sent per byte read):\n\n%s", cfg.duration, t.String()), wRand4k, wRand1m))
	b.WriteString(renderCPU(cfg, conts, ceiling))
	b.WriteString(renderCold(cfg, conts))
	return b.String()
}

// wanted is s if the run includes any of the workloads ws, else "".
func wanted(cfg *config, s string, ws ...string) string {
	if !cfg.wants(ws...) {
		return ""
	}
	return s
}

// cell computes one table cell from a contender's runs.
type cell func(c *contender, ok func(r runResult) bool) string

// table is a Markdown table under construction.
type table struct {
	head []string
	rows [][]string
}

func newTable(head ...string) *table { return &table{head: head} }

// row adds c's row; the first n1 cells need workload w1, the rest w2.
func (t *table) row(c *contender, w1 string, n1 int, w2 string, cells ...cell) {
	row := []string{c.name}
	for i, fn := range cells {
		w := w1
		if i >= n1 {
			w = w2
		}
		if msg := failure(c, w); msg != "" {
			row = append(row, msg)
			continue
		}
		row = append(row, fn(c, func(r runResult) bool { return r.errs[w] == "" && r.ran[w] }))
	}
	if c.skip != "" && len(c.runs) == 0 {
		row = []string{c.name, "skipped: " + c.skip}
	}
	if msg := failure(c, w1); msg != "" && msg == failure(c, w2) {
		row = []string{c.name, msg}
	}
	t.rows = append(t.rows, row)
}

// failure is why c has no result for workload w in some run, or "".
func failure(c *contender, w string) string {
	for _, r := range c.runs {
		if msg := r.errs[w]; msg != "" {
			return "failed: " + msg
		}
	}
	return ""
}

func (t *table) String() string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(t.head)
	sep := make([]string, len(t.head))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// med is the median over the runs that have a result.
func med(fn func(runResult) float64, format string) cell {
	return func(c *contender, ok func(runResult) bool) string {
		var v []float64
		for _, r := range c.runs {
			if ok(r) {
				v = append(v, fn(r))
			}
		}
		if len(v) == 0 {
			return "–"
		}
		return fmt.Sprintf(format, median(v))
	}
}

// ratio is the median over runs of c's value over the direct client's in
// the same run: for a time, > 1 is slower; for a throughput, > 1 is faster.
func ratio(direct *contender, fn func(runResult) float64) cell {
	return func(c *contender, ok func(runResult) bool) string {
		var v []float64
		for i, r := range c.runs {
			if i >= len(direct.runs) || !ok(r) {
				continue
			}
			if base := fn(direct.runs[i]); base > 0 {
				v = append(v, fn(r)/base)
			}
		}
		if len(v) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", median(v))
	}
}

// count is the exact count, or its range when runs differ.
func count(fn func(runResult) int) cell {
	return func(c *contender, ok func(runResult) bool) string {
		lo, hi, n := 0, 0, 0
		for _, r := range c.runs {
			if !ok(r) {
				continue
			}
			v := fn(r)
			if n == 0 || v < lo {
				lo = v
			}
			if n == 0 || v > hi {
				hi = v
			}
			n++
		}
		switch {
		case n == 0:
			return "–"
		case lo == hi:
			return fmt.Sprint(lo)
		}
		return fmt.Sprintf("%d–%d", lo, hi)
	}
}

// rss is the highest peak RSS over the runs.
func rss(fn func(runResult) int64) cell {
	return func(c *contender, ok func(runResult) bool) string {
		if c.name == directName {
			return "–"
		}
		var hi int64
		n := 0
		for _, r := range c.runs {
			if ok(r) {
				hi = max(hi, fn(r))
				n++
			}
		}
		if n == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f", float64(hi)/(1<<20))
	}
}

// cpu is the median over the runs of a mount process's CPU seconds per
// GiB; the direct client has none of its own (it runs in the bench).
func cpu(fn func(runResult) float64) cell {
	return func(c *contender, ok func(runResult) bool) string {
		if c.name == directName {
			return "–"
		}
		return med(fn, "%.2f")(c, ok)
	}
}
