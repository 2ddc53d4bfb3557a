package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series names besides the contenders' (rangedName says rangeSize and
// rangeReaders).
const (
	rangedName  = "direct, 8 MiB ranges ×4"
	ceilingName = "FUSE ceiling"
)

// profileResult is one profile's measurements, kept for the charts.
type profileResult struct {
	p       profile
	conts   []*contender
	ceiling []seqResult
}

// writeCharts draws the main comparisons of the run as PNG files in
// cfg.chartsDir and returns their names: sequential MB/s per contender and
// profile, requests per workload and contender, peak memory. A chart with
// nothing to show (its workloads did not run) is not written.
func writeCharts(cfg *config, results []profileResult) ([]string, error) {
	if err := os.MkdirAll(cfg.chartsDir, 0o755); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%s, medians of %d runs", time.Now().UTC().Format("2006-01-02"), cfg.runs)
	if cfg.runs == 1 {
		note = time.Now().UTC().Format("2006-01-02") + ", one run: indicative only"
	}
	var files []string
	for _, ch := range []struct {
		file string
		draw func(cfg *config, results []profileResult, note string) (*plot.Plot, bool, error)
	}{
		{"sequential.png", seqChart},
		{"requests.png", requestsChart},
		{"memory.png", memoryChart},
	} {
		p, ok, err := ch.draw(cfg, results, note)
		if err != nil {
			return files, fmt.Errorf("%s: %w", ch.file, err)
		}
		if !ok {
			continue
		}
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(cfg.chartsDir, ch.file)); err != nil {
			return files, fmt.Errorf("%s: %w", ch.file, err)
		}
		files = append(files, ch.file)
	}
	return files, nil
}

// chartLinks is the Markdown that shows the charts, linked by bare file
// name: the report is meant to be kept beside them (bench/run >
// docs/bench/report.md).
func chartLinks(dir string, files []string) string {
	if len(files) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Charts\n\nWritten to %s; the links work from a report saved there.\n\n", dir)
	for _, f := range files {
		fmt.Fprintf(&b, "![%s](%s)\n", strings.TrimSuffix(f, ".png"), f)
	}
	return b.String()
}

// series is one bar per group for one contender; NaN where it has no value.
type series struct {
	name string
	vals []float64
}

// groupedBars draws one bar per series in each group; a missing value
// draws nothing. With log, heights are on a log scale (drawn as log10 of
// the value plus one on a linear axis labelled in powers of ten, so bars
// have a base: a value of 1 is one decade high, a value below 0.1 nothing).
func groupedBars(title, ylabel string, groups []string, ss []series, log bool) (*plot.Plot, bool, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	// Leave out series with nothing to show (a contender skipped).
	ss = slices.DeleteFunc(slices.Clone(ss), func(s series) bool {
		return !slices.ContainsFunc(s.vals, func(v float64) bool { return v > 0 })
	})
	any := len(ss) > 0
	// Each group takes 80% of its share of the plot's width (about 560 points).
	width := vg.Points(min(40, 0.8*560/float64(max(1, len(ss)*len(groups)))))
	top := 0.0
	for i, s := range ss {
		vals := make(plotter.Values, len(s.vals))
		for j, v := range s.vals {
			if math.IsNaN(v) || v <= 0 {
				continue // nothing to draw
			}
			if log {
				v = max(0, math.Log10(v)+1)
			}
			vals[j] = v
			top = max(top, v)
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, false, err
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(colorIndex(s.name, i))
		bars.Offset = vg.Length(float64(i)-float64(len(ss)-1)/2) * width
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	if log {
		var ticks []plot.Tick
		for k := 0; float64(k) <= top; k++ {
			ticks = append(ticks, plot.Tick{Value: float64(k + 1), Label: fmt.Sprint(int(math.Pow10(k)))})
		}
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Min, p.Y.Max = 0, math.Ceil(top)+1 // a decade of room for the legend
	} else {
		p.Y.Min, p.Y.Max = 0, top*1.35 // room for the legend
	}
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	p.Legend.Top = true
	p.NominalX(groups...)
	p.Add(plotter.NewGrid())
	return p, any, nil
}

// chartColors keeps each contender's color the same in every chart.
var chartColors = []string{directName, rangedName, "b2mount", "rclone", "s3fs", ceilingName}

// colorIndex is name's color, or one after the known ones for others.
func colorIndex(name string, i int) int {
	if k := slices.Index(chartColors, name); k >= 0 {
		return k
	}
	return len(chartColors) + i
}

// medianOf is the median of fn over c's runs that have a result for w, NaN if none.
func medianOf(c *contender, w string, fn func(r runResult) float64) float64 {
	var v []float64
	for _, r := range c.runs {
		if r.errs[w] == "" && r.ran[w] {
			v = append(v, fn(r))
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	return median(v)
}

// contenderNames are the rows of every profile, in order, once each.
func contenderNames(results []profileResult) []string {
	var names []string
	seen := map[string]bool{}
	for _, pr := range results {
		for _, c := range pr.conts {
			if !seen[c.name] {
				seen[c.name] = true
				names = append(names, c.name)
			}
		}
	}
	return names
}

func findContender(pr profileResult, name string) *contender {
	for _, c := range pr.conts {
		if c.name == name {
			return c
		}
	}
	return nil
}

// seqChart: cold sequential MB/s of the big file per contender and profile,
// with the direct client's ranged GETs and the FUSE ceiling beside them.
func seqChart(cfg *config, results []profileResult, note string) (*plot.Plot, bool, error) {
	if !cfg.wants(wSeq) {
		return nil, false, nil
	}
	var groups []string
	for _, pr := range results {
		groups = append(groups, pr.p.name)
	}
	var ss []series
	add := func(name string, fn func(pr profileResult) float64) {
		s := series{name: name}
		for _, pr := range results {
			s.vals = append(s.vals, fn(pr))
		}
		ss = append(ss, s)
	}
	for _, name := range contenderNames(results) {
		add(name, func(pr profileResult) float64 {
			c := findContender(pr, name)
			if c == nil {
				return math.NaN()
			}
			return medianOf(c, wSeq, func(r runResult) float64 { return r.seq.mbs })
		})
		if name == directName {
			add(rangedName, func(pr profileResult) float64 {
				return medianOf(pr.conts[0], wSeqRanged, func(r runResult) float64 { return r.cold.ranged.mbs })
			})
		}
	}
	add(ceilingName, func(pr profileResult) float64 {
		var v []float64
		for _, r := range pr.ceiling {
			v = append(v, r.mbs)
		}
		if len(v) == 0 {
			return math.NaN()
		}
		return median(v)
	})
	return groupedBars(fmt.Sprintf("Cold sequential read of %d MiB (%s)", cfg.bigSize>>20, note), "MB/s", groups, ss, false)
}

// requestsChart: the requests each workload cost each contender, on the
// first profile measured (counts do not depend on the network).
func requestsChart(cfg *config, results []profileResult, note string) (*plot.Plot, bool, error) {
	if len(results) == 0 {
		return nil, false, nil
	}
	pr := results[0]
	total := func(c counts) float64 { return float64(c.list + c.head + c.get + c.other) }
	all := []struct {
		w     string
		label string
		n     func(r runResult) float64
	}{
		{wLs, "ls -l", func(r runResult) float64 { return total(r.ls.c) }},
		{wTree, "ls -lR", func(r runResult) float64 { return total(r.tree.c) }},
		{wPhotos, "photos", func(r runResult) float64 { return total(r.photos.first) }},
		{wColdCat, "cold cat", func(r runResult) float64 { return total(r.cold.cat.c) }},
		{wColdStat, "cold stat", func(r runResult) float64 { return total(r.cold.stat.c) }},
		{wColdFind, "cold find", func(r runResult) float64 { return total(r.cold.find.c) }},
	}
	var groups []string
	var ss []series
	for _, c := range pr.conts {
		ss = append(ss, series{name: c.name})
	}
	for _, w := range all {
		if !cfg.wants(w.w) {
			continue
		}
		groups = append(groups, w.label)
		for i, c := range pr.conts {
			ss[i].vals = append(ss[i].vals, medianOf(c, w.w, w.n))
		}
	}
	if len(groups) == 0 {
		return nil, false, nil
	}
	return groupedBars(fmt.Sprintf("Requests per workload, profile %s (%s)", pr.p.name, note), "requests (log scale)", groups, ss, true)
}

// memoryChart: the mounts' peak RSS in the sequential and parallel reads.
func memoryChart(cfg *config, results []profileResult, note string) (*plot.Plot, bool, error) {
	var groups []string
	type col struct {
		pr profileResult
		w  string
		fn func(r runResult) int64
	}
	var cols []col
	for _, pr := range results {
		if cfg.wants(wSeq) {
			groups = append(groups, pr.p.name+" sequential")
			cols = append(cols, col{pr, wSeq, func(r runResult) int64 { return r.seq.use.rss }})
		}
		if cfg.wants(wPar) {
			groups = append(groups, fmt.Sprintf("%s %d files", pr.p.name, cfg.parFiles))
			cols = append(cols, col{pr, wPar, func(r runResult) int64 { return r.par.use.rss }})
		}
	}
	if len(cols) == 0 {
		return nil, false, nil
	}
	var ss []series
	for _, name := range contenderNames(results) {
		if name == directName {
			continue
		}
		s := series{name: name}
		for _, cl := range cols {
			v := math.NaN()
			if c := findContender(cl.pr, name); c != nil {
				for _, r := range c.runs { // the highest peak over the runs
					if r.errs[cl.w] == "" && r.ran[cl.w] {
						v = max(nanTo0(v), float64(cl.fn(r))/(1<<20))
					}
				}
			}
			s.vals = append(s.vals, v)
		}
		ss = append(ss, s)
	}
	return groupedBars(fmt.Sprintf("Peak RSS of the mount process (%s)", note), "MiB", groups, ss, false)
}

func nanTo0(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
