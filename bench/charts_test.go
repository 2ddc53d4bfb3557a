package main

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWorkloadsFlagSelects(t *testing.T) {
	got, err := parseWorkloads("seq, cold-find")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{workloads: got}
	if !cfg.wants(wSeq) || !cfg.wants(wSeqRanged) || !cfg.wants(wColdFind) {
		t.Errorf("seq,cold-find selected %v", got)
	}
	if cfg.wants(wPar, wColdStat, wLs) {
		t.Errorf("seq,cold-find also selected others: %v", got)
	}
	all, err := parseWorkloads("all")
	if err != nil {
		t.Fatal(err)
	}
	for name, ws := range workloadFlags {
		for _, w := range ws {
			if !all[w] {
				t.Errorf("all leaves out %s (%s)", name, w)
			}
		}
	}
	if _, err := parseWorkloads("seq,nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown workload gave %v", err)
	}
}

// The charts of a run are PNG files of the workloads that ran, named in
// the Markdown that links them.
func TestChartsAreWrittenAsPNG(t *testing.T) {
	workloads, err := parseWorkloads("seq,cold-cat,cold-find")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{runs: 1, bigSize: 1 << 30, parFiles: 8, workloads: workloads, chartsDir: t.TempDir()}
	if d := os.Getenv("BENCH_CHARTS_DIR"); d != "" {
		cfg.chartsDir = d
	}
	run := func(mbs float64, rss int64, cat counts) runResult {
		return runResult{
			seq:  seqResult{mbs: mbs, use: usage{rss: rss}},
			cold: coldResult{cat: coldOp{c: cat}, find: coldOp{c: counts{list: 29}}, ranged: seqResult{mbs: 2 * mbs}},
			errs: map[string]string{},
			ran:  map[string]bool{wSeq: true, wSeqRanged: true, wColdCat: true, wColdFind: true},
		}
	}
	var results []profileResult
	for _, p := range []string{"lan", "wan"} {
		prof, _ := profileNamed(p)
		results = append(results, profileResult{p: prof, conts: []*contender{
			{name: directName, runs: []runResult{run(1500, 0, counts{get: 5})}},
			{name: "b2mount", runs: []runResult{run(800, 90<<20, counts{get: 5, list: 6, head: 6})}},
			{name: "s3fs", skip: "not installed"},
		}, ceiling: []seqResult{{mbs: 2500}}})
	}
	files, err := writeCharts(cfg, results)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sequential.png", "requests.png", "memory.png"}; !slices.Equal(files, want) {
		t.Errorf("charts %v, want %v", files, want)
	}
	links := chartLinks("docs/bench", files)
	for _, f := range files {
		if !strings.Contains(links, "("+f+")") {
			t.Errorf("links %q do not show %s", links, f)
		}
		r, err := os.Open(filepath.Join(cfg.chartsDir, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
			t.Errorf("%s is %v", f, b)
		}
	}
}
