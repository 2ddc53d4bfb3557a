package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// The cold workloads: what someone does first on a fresh mount, with no
// listing before it. Each runs on a fresh session and counts only its own
// requests.
const (
	wColdCat  = "cold cat"  // cat of the five photos by their full paths
	wColdStat = "cold stat" // stat of one file in the huge folder
	wColdFind = "cold find" // find of the whole bucket
)

// hugeBucket holds the huge folder, hugePrefix: -huge-files keys,
// generated once at set-up, only when the cold stat workload runs. It has
// a bucket of its own so the other workloads (the whole-bucket find) do not
// walk it.
const (
	hugeBucket = "bench-huge"
	hugePrefix = "huge/"
)

func hugeKey(i int) string { return fmt.Sprintf("%sk%06d.txt", hugePrefix, i) }

// hugeStatKey is the one file the cold stat asks about: in the middle of
// the folder, so a lister that stops early gains nothing.
func hugeStatKey(cfg *config) string { return hugeKey(cfg.hugeFiles / 2) }

// hugeKeys are the keys of the huge folder.
func hugeKeys(cfg *config) []string {
	keys := make([]string, cfg.hugeFiles)
	for i := range keys {
		keys[i] = hugeKey(i)
	}
	return keys
}

// coldResult is what one run of the cold workloads gave one contender.
type coldResult struct {
	cat, stat, find coldOp
	// ranged is the direct client's sequential read of the big file in
	// 8 MiB ranged GETs (cpuratio.go); zero for the mounts.
	ranged seqResult
}

// coldOp is one cold workload: its time, what it found, the requests.
type coldOp struct {
	secs    float64
	entries int // names find printed, files stat'ed or photos read
	c       counts
}

// stepFunc runs one workload of measureAll if it is selected.
type stepFunc func(what string, fn func(ctx context.Context) error)

// measureCold runs the cold workloads (and, for the direct client, the
// ranged sequential read) for c into r.cold.
func measureCold(e *env, c *contender, r *runResult, step stepFunc) {
	px := e.srv.Proxy
	op := func(what string, fresh freshFunc, dst *coldOp, fn func(ctx context.Context, s session) (int, error)) {
		step(what, func(ctx context.Context) (err error) {
			*dst, err = measureColdOp(ctx, px, fresh, fn)
			return err
		})
	}
	op(wColdCat, c.fresh, &r.cold.cat, func(ctx context.Context, s session) (int, error) {
		return coldCat(ctx, s.fs)
	})
	op(wColdStat, c.freshHuge, &r.cold.stat, func(ctx context.Context, s session) (int, error) {
		return 1, coldStat(ctx, s.fs, hugeStatKey(e.cfg))
	})
	op(wColdFind, c.fresh, &r.cold.find, func(ctx context.Context, s session) (int, error) {
		return coldFind(ctx, s.fs)
	})
	if c.name == directName {
		step(wSeqRanged, func(ctx context.Context) (err error) {
			r.cold.ranged, err = measureSeq(ctx, px, rangedSessions(c.fresh), []string{bigKey})
			return err
		})
	}
}

// measureColdOp starts a fresh session, then counts and times fn alone.
func measureColdOp(ctx context.Context, px *s3test.Proxy, fresh freshFunc, fn func(ctx context.Context, s session) (int, error)) (coldOp, error) {
	s, err := fresh(ctx)
	if err != nil {
		return coldOp{}, err
	}
	defer s.stop()
	px.ResetCounts()
	start := time.Now()
	n, err := fn(ctx, s)
	return coldOp{secs: time.Since(start).Seconds(), entries: n, c: snapshot(px)}, err
}

// coldCat reads the five photos by their full paths: one `cat` of all
// five through a mount, five whole-object GETs for the direct client.
func coldCat(ctx context.Context, f fsys) (int, error) {
	var want int64
	switch f := f.(type) {
	case mountFS:
		args := make([]string, len(photoKeys))
		for i, k := range photoKeys {
			args[i] = f.path(photoPrefix + k)
		}
		var out byteCounter
		cmd := exec.Command("cat", args...)
		cmd.Stdout = &out
		if msg, err := runQuiet(ctx, cmd); err != nil {
			return 0, fmt.Errorf("cat: %w: %s", err, msg)
		}
		want = int64(out)
	case directFS:
		for _, k := range photoKeys {
			n, err := f.readWhole(ctx, photoPrefix+k)
			if err != nil {
				return 0, err
			}
			want += n
		}
	default:
		return 0, fmt.Errorf("cold cat: no way to run it on %T", f)
	}
	if want == 0 {
		return 0, fmt.Errorf("cold cat: read nothing")
	}
	return len(photoKeys), nil
}

// coldStat asks for one file's attributes: `stat` through a mount, one
// HEAD for the direct client.
func coldStat(ctx context.Context, f fsys, key string) error {
	switch f := f.(type) {
	case mountFS:
		cmd := exec.Command("stat", "--format=%s", f.path(key))
		if msg, err := runQuiet(ctx, cmd); err != nil {
			return fmt.Errorf("stat: %w: %s", err, msg)
		}
		return nil
	case directFS:
		_, err := f.c.Stat(ctx, key)
		return err
	}
	return fmt.Errorf("cold stat: no way to run it on %T", f)
}

// coldFind walks the whole bucket: `find` of the mount point, and for the
// direct client the same LIST calls (every folder with delimiter "/", one
// after another). It returns the names found, folders included.
func coldFind(ctx context.Context, f fsys) (int, error) {
	switch f := f.(type) {
	case mountFS:
		var out lineCounter
		cmd := exec.Command("find", f.dir)
		cmd.Stdout = &out
		if msg, err := runQuiet(ctx, cmd); err != nil {
			return 0, fmt.Errorf("find: %w: %s", err, msg)
		}
		return int(out) - 1, nil // not the mount point itself
	case directFS:
		return directWalk(ctx, f, "")
	}
	return 0, fmt.Errorf("cold find: no way to run it on %T", f)
}

// directWalk lists prefix and every folder below it and counts the names.
func directWalk(ctx context.Context, d directFS, prefix string) (int, error) {
	l, err := d.c.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := len(l.Objects) + len(l.Prefixes)
	for _, p := range l.Prefixes {
		k, err := directWalk(ctx, d, p)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// runQuiet runs cmd and returns the tail of what it wrote to stderr. Once
// ctx ends it returns without waiting: a program blocked in a FUSE request
// (state D, in a lookup behind a directory lock) does not die of SIGKILL
// until the mount answers or goes away, which the session's stop sees to.
func runQuiet(ctx context.Context, cmd *exec.Cmd) (string, error) {
	var stderr tailBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return stderr.tail(), err
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return "", ctx.Err()
	}
}

// byteCounter counts what is written to it.
type byteCounter int64

func (b *byteCounter) Write(p []byte) (int, error) {
	*b += byteCounter(len(p))
	return len(p), nil
}

// lineCounter counts the newlines written to it.
type lineCounter int

func (l *lineCounter) Write(p []byte) (int, error) {
	*l += lineCounter(strings.Count(string(p), "\n"))
	return len(p), nil
}

var (
	_ io.Writer = (*byteCounter)(nil)
	_ io.Writer = (*lineCounter)(nil)
)

// renderCold writes the tables of the cold workloads that ran.
func renderCold(cfg *config, conts []*contender) string {
	var b strings.Builder
	direct := conts[0]
	requests := func(get func(r runResult) coldOp) []cell {
		return []cell{
			count(func(r runResult) int { return get(r).c.list }),
			count(func(r runResult) int { return get(r).c.head }),
			count(func(r runResult) int { return get(r).c.get }),
			count(func(r runResult) int { return get(r).c.other }),
		}
	}
	table := func(w, title, head string, get func(r runResult) coldOp, extra ...cell) {
		if !cfg.wants(w) {
			return
		}
		cols := []string{"contender", head + " s", "× direct", "LIST", "HEAD", "GET", "other"}
		if len(extra) > 0 {
			cols = append(cols, "names found")
		}
		t := newTable(cols...)
		for _, c := range conts {
			cells := append([]cell{
				med(func(r runResult) float64 { return get(r).secs }, "%.3f"),
				ratio(direct, func(r runResult) float64 { return get(r).secs }),
			}, requests(get)...)
			cells = append(cells, extra...)
			t.row(c, w, len(cells), w, cells...)
		}
		b.WriteString("\n" + title + "\n\n" + t.String())
	}
	table(wColdCat, "Cold cat (a fresh mount, no listing first: `cat` of the five photos by their full paths; the direct client GETs each whole):",
		"cat 5 photos", func(r runResult) coldOp { return r.cold.cat })
	table(wColdStat, fmt.Sprintf("Cold stat (a fresh mount: `stat` of %s, in a folder of %d keys; the direct client makes one HEAD):", hugeStatKey(cfg), cfg.hugeFiles),
		"stat 1 of "+fmt.Sprint(cfg.hugeFiles), func(r runResult) coldOp { return r.cold.stat })
	table(wColdFind, "Cold find (a fresh mount: `find` of the whole bucket; the direct client makes the same LIST calls, every folder with delimiter \"/\", one after another):",
		"find bucket", func(r runResult) coldOp { return r.cold.find },
		count(func(r runResult) int { return r.cold.find.entries }))
	return b.String()
}
