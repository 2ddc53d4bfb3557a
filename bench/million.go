package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The million-key workload: one folder of -million keys, listed with
// ls -f (names only) and then ls -l (every attribute) on one fresh mount
// per contender; the direct client lists it (LIST calls only). It shows
// what a huge folder costs in time, requests and the mount's memory.

// wMillion names the huge-folder workload (-workloads million).
const wMillion = "huge folder"

// millionPrefix is the folder of the million-key workload, in hugeBucket
// (beside the cold stat's folder, so that a find of the bench bucket does
// not walk it).
const millionPrefix = "million/"

// millionResult is one contender's listing of the folder.
type millionResult struct {
	name         string
	lsF, lsL     float64 // seconds; lsL 0 for the direct client
	nF, nL       int     // entries ls -f and ls -l showed
	cF, cL       counts  // requests of each
	rss          int64   // the mount's peak RSS
	errF, errL   string  // why ls -f or ls -l has no result
	skip, failed string
}

// millionKey is the i-th key of the folder.
func millionKey(i int) string { return fmt.Sprintf("%sIMG_%07d.jpg", millionPrefix, i) }

// fillMillion makes the folder's n empty objects, as empty files written
// straight into versitygw's posix directory (dataDir/bucket/key): a file
// is an object there, listed with no ETag. A million PUTs through the
// server would take many minutes; a million files take seconds.
func fillMillion(ctx context.Context, dataDir string, n int) error {
	dir := filepath.Join(dataDir, hugeBucket, filepath.FromSlash(millionPrefix))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	const workers = 4
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n && ctx.Err() == nil; i += workers {
				f, err := os.OpenFile(filepath.Join(dataDir, hugeBucket, millionKey(i)), os.O_CREATE|os.O_WRONLY, 0o644)
				if err == nil {
					err = f.Close()
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// measureMillion lists the folder once per contender (each within the
// timeout) and returns the table.
func measureMillion(ctx context.Context, e *env, conts []*contender) string {
	var rows []millionResult
	for _, c := range conts {
		r := millionResult{name: c.name, skip: c.skip}
		if c.skip == "" && ctx.Err() == nil {
			e.log.Info("measuring", "workload", "million", "contender", c.name)
			listMillion(ctx, e, c, &r)
		}
		rows = append(rows, r)
	}
	return renderMillion(e.cfg.million, rows)
}

// listMillion runs ls -f then ls -l of the folder on a fresh session.
func listMillion(ctx context.Context, e *env, c *contender, r *millionResult) {
	px := e.srv.Proxy
	s, err := c.freshHuge(ctx)
	if err != nil {
		r.failed = describeErr(err)
		return
	}
	defer func() { r.rss = s.stop().rss }()
	if _, err := s.fs.listLong(ctx, ""); err != nil {
		r.failed = "ls -l of the top: " + describeErr(err)
		return
	}
	timed := func(fn func(ctx context.Context) (int, error), secs *float64, n *int, c *counts, msg *string) {
		wctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
		defer cancel()
		px.ResetCounts()
		start := time.Now()
		var err error
		*n, err = fn(wctx)
		*secs, *c = time.Since(start).Seconds(), snapshot(px)
		switch {
		case err != nil && ctx.Err() == nil && wctx.Err() != nil:
			*msg = fmt.Sprintf("no result within %v", e.cfg.timeout)
		case err != nil:
			*msg = describeErr(err)
		}
	}
	m, ok := s.fs.(mountFS)
	if !ok { // the direct client: LIST calls only
		timed(func(ctx context.Context) (int, error) { return s.fs.listLong(ctx, millionPrefix) }, &r.lsF, &r.nF, &r.cF, &r.errF)
		return
	}
	timed(func(ctx context.Context) (int, error) {
		out, err := exec.CommandContext(ctx, "ls", "-f", m.path(millionPrefix)).Output()
		return strings.Count(string(out), "\n") - 2, err // not . and ..
	}, &r.lsF, &r.nF, &r.cF, &r.errF)
	if r.errF == "" {
		timed(func(ctx context.Context) (int, error) { return m.listLong(ctx, millionPrefix) }, &r.lsL, &r.nL, &r.cL, &r.errL)
	}
}

// renderMillion is the workload's Markdown table.
func renderMillion(n int, rows []millionResult) string {
	t := newTable("contender", "ls -f s", "entries", "LIST", "HEAD", "other", "then ls -l s", "LIST", "HEAD", "other", "peak RSS MiB", "RSS bytes/key")
	for _, r := range rows {
		switch {
		case r.skip != "":
			t.rows = append(t.rows, []string{r.name, "skipped: " + r.skip})
			continue
		case r.failed != "":
			t.rows = append(t.rows, []string{r.name, "failed: " + r.failed})
			continue
		}
		row := []string{r.name}
		cells := func(secs float64, entries int, c counts, msg string, withEntries bool) {
			switch {
			case msg != "":
				row = append(row, "failed: "+msg, "", "", "", "")
			case withEntries:
				row = append(row, fmt.Sprintf("%.1f", secs), fmt.Sprint(entries), fmt.Sprint(c.list), fmt.Sprint(c.head), fmt.Sprint(c.other+c.get))
			default:
				row = append(row, fmt.Sprintf("%.1f", secs), fmt.Sprint(c.list), fmt.Sprint(c.head), fmt.Sprint(c.other+c.get))
			}
		}
		cells(r.lsF, r.nF, r.cF, r.errF, true)
		if r.name == directName {
			row = append(row, "–", "–", "–", "–", "–", "–")
		} else {
			if r.errF != "" {
				row = append(row, "–", "–", "–", "–")
			} else {
				cells(r.lsL, r.nL, r.cL, r.errL, false)
			}
			row = append(row, fmt.Sprintf("%.0f", float64(r.rss)/(1<<20)), fmt.Sprint(r.rss/int64(n)))
		}
		t.rows = append(t.rows, row)
	}
	return fmt.Sprintf("\nA folder of %d keys (empty objects), on a fresh mount: ls -f, then ls -l (the direct client: LIST calls only); peak RSS of the mount process over both:\n\n%s", n, t.String())
}
