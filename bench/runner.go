package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// directName is the baseline's name in the tables.
const directName = "direct"

// Workload names, the keys of runResult.errs.
const (
	wSeq    = "sequential read"
	wPar    = "parallel read"
	wLs     = "ls -l"
	wTree   = "ls -lR"
	wPhotos = "photos"
	wRand4k = "random 4 KiB reads"
	wRand1m = "random 1 MiB reads"
)

// runResult is everything one contender gave in one run.
type runResult struct {
	seq, par       seqResult
	ls, tree       listResult
	photos         photoResult
	rand4k, rand1m randResult
	cold           coldResult        // cold.go
	errs           map[string]string // workload -> why it has no result
	ran            map[string]bool   // workloads this run measured (-workloads)
}

// errMount marks a contender that could not even mount.
var errMount = errors.New("cannot mount")

// contender is one row of the tables.
type contender struct {
	name      string
	fresh     freshFunc
	freshHuge freshFunc // sessions on the huge bucket (cold.go)
	runs      []runResult
	skip      string // why it has no (more) results
}

// runProfile runs every workload -runs times for the direct client and
// every contender over profile p and returns the Markdown tables.
func runProfile(ctx context.Context, e *env, p profile) (string, error) {
	undo, err := shapeFor(e, p)
	if err != nil {
		return "", err
	}
	defer undo()
	client, err := directClient(ctx, e, bucket)
	if err != nil {
		return "", err
	}
	hugeClient, err := directClient(ctx, e, hugeBucket)
	if err != nil {
		return "", err
	}
	t := benchTarget(e)
	conts := []*contender{{name: directName, fresh: directFresh(client), freshHuge: directFresh(hugeClient)}}
	for _, name := range e.cfg.contenders {
		c := &contender{name: name}
		m := mounters[name]
		bin, err := m.find(t)
		if err != nil {
			c.skip = err.Error()
		}
		c.fresh = mountFresh(e, m, bin, t, name, fmt.Sprintf("%s-%s", p.name, name))
		hugeT := t
		hugeT.bucket = hugeBucket
		c.freshHuge = mountFresh(e, m, bin, hugeT, name, fmt.Sprintf("%s-%s-huge", p.name, name))
		conts = append(conts, c)
	}

	// Warm the server's own page cache, so no contender pays for the disk.
	var warm []string
	if e.cfg.wants(wSeq, wRand4k, wRand1m) {
		warm = append(warm, bigKey)
	}
	if e.cfg.wants(wPar) {
		warm = append(warm, parKeys(e.cfg.parFiles)...)
	}
	for _, k := range warm {
		if _, err := (directFS{c: client}).readWhole(ctx, k); err != nil {
			return "", fmt.Errorf("warm-up read of %s: %w", k, err)
		}
	}
	// The FUSE ceiling needs no network, so it is measured once per run
	// of the unshaped profile only.
	var ceiling []seqResult
	loadBefore := loadAvg()
	for i := range e.cfg.runs {
		if !p.shaped && e.cfg.wants(wSeq) {
			e.log.Info("measuring", "profile", p.name, "run", i+1, "contender", "FUSE ceiling")
			r, err := measureFUSECeiling(ctx, filepath.Join(e.work, "mnt", fmt.Sprintf("ceiling-%d", i+1)), e.cfg.bigSize)
			if err != nil {
				e.log.Warn("FUSE ceiling", "err", err)
			} else {
				ceiling = append(ceiling, r)
			}
		}
		for _, c := range conts {
			if c.skip != "" {
				continue
			}
			e.log.Info("measuring", "profile", p.name, "run", i+1, "contender", c.name)
			r, err := measureAll(ctx, e, c)
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if err != nil {
				c.skip = "failed: " + describeErr(err)
				e.log.Warn("contender failed; skipping it from now on", "profile", p.name, "contender", c.name, "err", err)
				continue
			}
			c.runs = append(c.runs, r)
		}
	}
	e.results = append(e.results, profileResult{p: p, conts: conts, ceiling: ceiling})
	out := renderProfile(p, e.cfg, conts, ceiling, loadBefore, loadAvg())
	if e.cfg.wants(wMillion) && !p.shaped {
		out += measureMillion(ctx, e, conts)
	}
	return out, nil
}

// measureAll runs every workload once for c, each bounded by the timeout.
// A workload that fails is noted in errs (and not tried again in later
// runs) and the next one runs; only a contender that cannot mount (or an
// interrupt) ends the run with an error.
func measureAll(ctx context.Context, e *env, c *contender) (runResult, error) {
	px := e.srv.Proxy
	fresh := c.fresh
	r := runResult{errs: map[string]string{}, ran: map[string]bool{}}
	var fatal error
	step := func(what string, fn func(ctx context.Context) error) {
		if fatal != nil || ctx.Err() != nil || !e.cfg.wants(what) {
			return
		}
		for _, prev := range c.runs {
			if msg := prev.errs[what]; msg != "" {
				r.errs[what] = msg // it failed in an earlier run: don't wait for it again
				return
			}
		}
		r.ran[what] = true
		wctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
		defer cancel()
		err := fn(wctx)
		switch {
		case err == nil:
		case errors.Is(err, errMount):
			fatal = fmt.Errorf("%s: %w", what, err)
		case ctx.Err() == nil && wctx.Err() != nil:
			r.errs[what] = fmt.Sprintf("no result within %v", e.cfg.timeout)
		default:
			r.errs[what] = describeErr(err)
		}
		if msg, ok := r.errs[what]; ok {
			e.log.Warn("workload failed", "workload", what, "err", msg)
		}
	}
	step(wSeq, func(ctx context.Context) (err error) {
		r.seq, err = measureSeq(ctx, px, fresh, []string{bigKey})
		return err
	})
	step(wPar, func(ctx context.Context) (err error) {
		r.par, err = measureSeq(ctx, px, fresh, parKeys(e.cfg.parFiles))
		return err
	})
	step(wLs, func(ctx context.Context) (err error) {
		r.ls, err = measureList(ctx, px, fresh, true, smallPrefix)
		return err
	})
	step(wTree, func(ctx context.Context) (err error) {
		r.tree, err = measureList(ctx, px, fresh, false, treePrefix)
		return err
	})
	step(wPhotos, func(ctx context.Context) (err error) {
		r.photos, err = measurePhotos(ctx, px, fresh)
		return err
	})
	step(wRand4k, func(ctx context.Context) (err error) {
		r.rand4k, err = measureRandom(ctx, px, fresh, bigKey, e.cfg.bigSize, 4<<10, e.cfg.duration)
		return err
	})
	step(wRand1m, func(ctx context.Context) (err error) {
		r.rand1m, err = measureRandom(ctx, px, fresh, bigKey, e.cfg.bigSize, 1<<20, e.cfg.duration)
		return err
	})
	measureCold(e, c, &r, step)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, fatal
}

func parKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = parKey(i)
	}
	return keys
}

// loadAvg is the 1-minute load average, to show whether anything else was
// using the CPUs during a profile.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
