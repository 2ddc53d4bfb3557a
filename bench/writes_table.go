package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// runWrites runs the write workloads -runs times for the direct client
// and every contender, each mounted read-write, over profile p, and
// returns their Markdown tables.
func runWrites(ctx context.Context, e *env, p profile) (string, error) {
	undo, err := shapeFor(e, p)
	if err != nil {
		return "", err
	}
	defer undo()
	client, err := directClient(ctx, e, bucket)
	if err != nil {
		return "", err
	}
	t := benchTarget(e)
	t.writable = true
	w := &writeEnv{e: e, p: p, px: e.srv.Proxy, src: filepath.Join(e.work, writeSrc), bucket: filepath.Join(e.srv.DataDir, bucket)}
	e.log.Info("writing the local sources of the write workloads")
	if err := prepareWriteSources(w.src, e.cfg.bigSize); err != nil {
		return "", fmt.Errorf("write sources: %w", err)
	}
	d := newDirectWriter(t, client)

	conts := []*writeContender{{name: directName, fresh: directFresh(client)}}
	for _, name := range e.cfg.contenders {
		c := &writeContender{name: name}
		m := mounters[name]
		bin, err := m.find(t)
		if err != nil {
			c.skip = err.Error()
		}
		c.fresh = mountFresh(e, m, bin, t, name, fmt.Sprintf("w-%s-%s", p.name, name))
		conts = append(conts, c)
	}

	loadBefore := loadAvg()
	for i := range e.cfg.runs {
		w.run = i + 1
		for _, c := range conts {
			if c.skip != "" {
				continue
			}
			e.log.Info("measuring writes", "profile", p.name, "run", i+1, "contender", c.name)
			r, err := w.measureWrites(ctx, c, d)
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
	return renderWrites(p, e.cfg, conts, loadBefore, loadAvg()), nil
}

// measureWrites runs every write workload once for c, each bounded by the
// timeout; as measureAll does for the reads.
func (w *writeEnv) measureWrites(ctx context.Context, c *writeContender, d directWriter) (writeRun, error) {
	r := writeRun{errs: map[string]string{}}
	var fatal error
	step := func(what string, fn func(ctx context.Context) error) {
		if fatal != nil || ctx.Err() != nil {
			return
		}
		for _, prev := range c.runs {
			if msg := prev.errs[what]; msg != "" {
				r.errs[what] = msg
				return
			}
		}
		wctx, cancel := context.WithTimeout(ctx, w.e.cfg.timeout)
		defer cancel()
		err := fn(wctx)
		switch {
		case err == nil:
		case errors.Is(err, errMount):
			fatal = fmt.Errorf("%s: %w", what, err)
		case ctx.Err() == nil && wctx.Err() != nil:
			r.errs[what] = fmt.Sprintf("no result within %v", w.e.cfg.timeout)
		default:
			r.errs[what] = describeErr(err)
		}
		if _, ok := r.errs[what]; ok {
			w.e.log.Warn("workload failed", "workload", what, "contender", c.name, "err", err)
		}
	}
	step(wCp, func(ctx context.Context) (err error) {
		r.cp, err = w.measureCp(ctx, c, d)
		return err
	})
	step(wCpR, func(ctx context.Context) (err error) {
		r.small, err = w.measureTree(ctx, c, d)
		return err
	})
	step(wRsync, func(ctx context.Context) (err error) {
		r.rsync1, r.rsync2, r.rsyncSkipped, err = w.measureRsync(ctx, c, d)
		return err
	})
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, fatal
}

// renderWrites writes the write tables of one profile: medians over the
// runs, ratios to the direct client of the same run, exact counts (a
// range when runs differ).
func renderWrites(p profile, cfg *config, conts []*writeContender, loadBefore, loadAfter string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Writes, profile %s\n\n", p.name)
	fmt.Fprintf(&b, "- 1-minute load average: %s before, %s after\n", loadBefore, loadAfter)
	fmt.Fprintf(&b, "- every contender mounted read-write: b2mount --read-write (a --state-dir in the work directory), rclone --vfs-cache-mode writes, s3fs rw; every workload on a fresh mount\n")
	fmt.Fprintf(&b, "- time is until the last file is in the bucket (on versitygw's disk, looked at without a request); \"closed\" is when the command returned. b2mount and s3fs upload before close returns; rclone uploads after close (write-back, 5 s after by default), so its time includes that wait\n")
	for _, c := range conts[1:] {
		if c.skip != "" {
			fmt.Fprintf(&b, "- %s: skipped, %s\n", c.name, c.skip)
		}
	}
	direct := conts[0]
	gib := float64(cfg.bigSize) / (1 << 30)

	t := newTable("contender", fmt.Sprintf("cp %d MiB MB/s", cfg.bigSize>>20), "× direct", "closed s", "in bucket s",
		"PUT", "CREATE", "PART", "COMPLETE", "HEAD", "LIST", "other", "MiB sent", "peak RSS MiB", "CPU s/GiB", "machine CPU s/GiB")
	for _, c := range conts {
		t.rows = append(t.rows, writeRow(c, wCp,
			wmed(c, wCp, func(r writeRun) float64 { return r.cp.mbs }, "%.0f"),
			wratio(c, direct, wCp, func(r writeRun) float64 { return r.cp.mbs }),
			wmed(c, wCp, func(r writeRun) float64 { return r.cp.closed }, "%.2f"),
			wmed(c, wCp, func(r writeRun) float64 { return r.cp.secs }, "%.2f"),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.put }),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.create }),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.part }),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.complete }),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.head }),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.list }),
			wcount(c, wCp, func(r writeRun) int { return r.cp.c.del + r.cp.c.other }),
			wmed(c, wCp, func(r writeRun) float64 { return float64(r.cp.c.sent) / (1 << 20) }, "%.0f"),
			wmount(c, wmax(c, wCp, func(r writeRun) float64 { return float64(r.cp.use.rss) / (1 << 20) }, "%.0f")),
			wmount(c, wmed(c, wCp, func(r writeRun) float64 { return r.cp.use.cpu / gib }, "%.2f")),
			wmed(c, wCp, func(r writeRun) float64 { return r.cp.machineCPU / gib }, "%.2f"),
		))
	}
	fmt.Fprintf(&b, "\ncp of a %d MiB file from the local disk (page cache) into the mount; direct = aws-sdk-go-v2's feature/s3/manager Uploader, its defaults (5 MiB parts, 5 at once); CPU s/GiB = the mount process's user+system CPU, mount to unmount; machine CPU s/GiB = the whole machine's, server and proxy included:\n\n%s",
		cfg.bigSize>>20, t.String())
	if p.linkCap > 0 {
		fmt.Fprintf(&b, "\nOne connection carries at most %.0f MB/s here; 9× that is %.0f MB/s.\n", p.linkCap, 9*p.linkCap)
	}

	t = newTable("contender", fmt.Sprintf("cp -r %d files s", writeSmallFiles), "× direct", "closed s", "PUT", "HEAD", "LIST", "other", "MiB sent")
	for _, c := range conts {
		t.rows = append(t.rows, writeRow(c, wCpR,
			wmed(c, wCpR, func(r writeRun) float64 { return r.small.secs }, "%.2f"),
			wratio(c, direct, wCpR, func(r writeRun) float64 { return r.small.secs }),
			wmed(c, wCpR, func(r writeRun) float64 { return r.small.closed }, "%.2f"),
			wcount(c, wCpR, func(r writeRun) int { return r.small.c.put }),
			wcount(c, wCpR, func(r writeRun) int { return r.small.c.head }),
			wcount(c, wCpR, func(r writeRun) int { return r.small.c.list }),
			wcount(c, wCpR, func(r writeRun) int { return r.small.c.total() - r.small.c.put - r.small.c.head - r.small.c.list }),
			wmed(c, wCpR, func(r writeRun) float64 { return float64(r.small.c.sent) / (1 << 20) }, "%.1f"),
		))
	}
	fmt.Fprintf(&b, "\ncp -r of a folder of %d files of 4–256 KiB into the mount (a new folder); direct = the same PutObjects, one after another:\n\n%s", writeSmallFiles, t.String())

	t = newTable("contender", fmt.Sprintf("rsync -a %d files s", writeRsyncFiles), "closed s", "PUT", "PART", "COPY", "DELETE", "HEAD", "LIST", "other",
		"again s", "PUT", "PART", "COPY", "other", "MiB sent")
	for _, c := range conts {
		if c.name == directName {
			continue
		}
		r1 := func(fn func(writeCounts) int) string {
			return wcount(c, wRsync, func(r writeRun) int { return fn(r.rsync1.c) })
		}
		r2 := func(fn func(writeCounts) int) string {
			return wcount(c, wRsync, func(r writeRun) int { return fn(r.rsync2.c) })
		}
		t.rows = append(t.rows, writeRow(c, wRsync,
			wmed(c, wRsync, func(r writeRun) float64 { return r.rsync1.secs }, "%.2f"),
			wmed(c, wRsync, func(r writeRun) float64 { return r.rsync1.closed }, "%.2f"),
			r1(func(c writeCounts) int { return c.put }),
			r1(func(c writeCounts) int { return c.part }),
			r1(func(c writeCounts) int { return c.copy }),
			r1(func(c writeCounts) int { return c.del }),
			r1(func(c writeCounts) int { return c.head }),
			r1(func(c writeCounts) int { return c.list }),
			r1(func(c writeCounts) int { return c.total() - c.put - c.part - c.copy - c.del - c.head - c.list }),
			wmed(c, wRsync, func(r writeRun) float64 { return r.rsync2.secs }, "%.2f"),
			r2(func(c writeCounts) int { return c.put }),
			r2(func(c writeCounts) int { return c.part }),
			r2(func(c writeCounts) int { return c.copy }),
			r2(func(c writeCounts) int { return c.total() - c.put - c.part - c.copy }),
			wmed(c, wRsync, func(r writeRun) float64 { return float64(r.rsync2.c.sent) / (1 << 20) }, "%.2f"),
		))
	}
	fmt.Fprintf(&b, "\nrsync -a of a folder of %d files of 4–256 KiB into the mount, then again on the same mount with nothing changed (\"again\": its time and requests, MiB sent = request bytes of the second run):\n\n%s", writeRsyncFiles, t.String())
	return b.String()
}

// writeRow is c's row: the cells, or why it has none.
func writeRow(c *writeContender, w string, cells ...string) []string {
	if c.skip != "" && len(c.runs) == 0 {
		return []string{c.name, "skipped: " + c.skip}
	}
	for _, r := range c.runs {
		if msg := r.errs[w]; msg != "" {
			return []string{c.name, "failed: " + msg}
		}
	}
	return append([]string{c.name}, cells...)
}

// wvalues are fn over c's runs that have a result for w.
func wvalues(c *writeContender, w string, fn func(writeRun) float64) []float64 {
	var v []float64
	for _, r := range c.runs {
		if r.errs[w] == "" {
			v = append(v, fn(r))
		}
	}
	return v
}

func wmed(c *writeContender, w string, fn func(writeRun) float64, format string) string {
	v := wvalues(c, w, fn)
	if len(v) == 0 {
		return "–"
	}
	return fmt.Sprintf(format, median(v))
}

func wmax(c *writeContender, w string, fn func(writeRun) float64, format string) string {
	v := wvalues(c, w, fn)
	if len(v) == 0 {
		return "–"
	}
	hi := v[0]
	for _, x := range v {
		hi = max(hi, x)
	}
	return fmt.Sprintf(format, hi)
}

// wmount is s for a mount, "–" for the direct client (no process of its own).
func wmount(c *writeContender, s string) string {
	if c.name == directName {
		return "–"
	}
	return s
}

// wratio is the median over runs of c's value over the direct client's in
// the same run.
func wratio(c, direct *writeContender, w string, fn func(writeRun) float64) string {
	var v []float64
	for i, r := range c.runs {
		if i >= len(direct.runs) || r.errs[w] != "" || direct.runs[i].errs[w] != "" {
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

// wcount is the exact count, or its range when runs differ.
func wcount(c *writeContender, w string, fn func(writeRun) int) string {
	v := wvalues(c, w, func(r writeRun) float64 { return float64(fn(r)) })
	if len(v) == 0 {
		return "–"
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo == hi {
		return fmt.Sprint(int(lo))
	}
	return fmt.Sprintf("%d–%d", int(lo), int(hi))
}
