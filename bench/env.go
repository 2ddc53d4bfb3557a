package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// env is what every profile shares: the server with the data, the
// b2mount binary, the scratch directory.
type env struct {
	cfg     *config
	log     *slog.Logger
	srv     *s3test.Server
	work    string
	rmWork  bool
	b2mount string
	results []profileResult // every profile measured so far, for the charts
}

// setUp starts versitygw, fills the bucket and builds b2mount.
func setUp(ctx context.Context, cfg *config, logger *slog.Logger) (_ *env, err error) {
	e := &env{cfg: cfg, log: logger, work: cfg.workDir}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.work == "" {
		if e.work, err = os.MkdirTemp("", "b2mount-bench-"); err != nil {
			return nil, err
		}
		e.rmWork = true
	}
	if e.b2mount = cfg.b2mountBin; e.b2mount == "" {
		e.b2mount = filepath.Join(e.work, "b2mount")
		logger.Info("building b2mount", "to", e.b2mount)
		out, err := exec.CommandContext(ctx, "go", "build", "-o", e.b2mount, "github.com/b2mount/b2mount/cmd/b2mount").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("build b2mount: %w\n%s", err, out)
		}
	}
	bin, err := s3test.FindVersity()
	if err != nil {
		return nil, err
	}
	if e.srv, err = s3test.StartVersity(ctx, bin, filepath.Join(e.work, "data"), logger.With("component", "versitygw")); err != nil {
		return nil, err
	}
	logger.Info("generating data", "big_mib", cfg.bigSize>>20, "par_files", cfg.parFiles, "small_files", cfg.smallFiles)
	start := time.Now()
	if err := generate(ctx, e.srv, cfg); err != nil {
		return nil, fmt.Errorf("generate data: %w", err)
	}
	logger.Info("data ready", "took", time.Since(start).Round(time.Second))
	if cfg.wants(wMillion) {
		start = time.Now()
		if err := fillMillion(ctx, filepath.Join(e.work, "data"), cfg.million); err != nil {
			return nil, fmt.Errorf("fill the million-key folder: %w", err)
		}
		logger.Info("million-key folder ready", "keys", cfg.million, "took", time.Since(start).Round(time.Second))
	}
	return e, nil
}

func (e *env) close() {
	if e.srv != nil {
		if err := e.srv.Close(); err != nil {
			e.log.Warn("stop versitygw", "err", err)
		}
	}
	if e.rmWork {
		_ = os.RemoveAll(e.work)
	}
}

// describe says on what the numbers were measured.
func (e *env) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- machine: %s, %d CPUs, %s RAM, kernel %s, %s\n", cpuModel(), runtime.NumCPU(), memTotal(), kernel(), runtime.Version())
	fmt.Fprintf(&b, "- server: versitygw (posix) on 127.0.0.1 behind s3test's counting proxy, which also shapes the wan profile's answers; every contender goes through the same path\n")
	fmt.Fprintf(&b, "- data: %d MiB file, %d × %d MiB files, %d small files, %d-dir tree, 5 photos\n",
		e.cfg.bigSize>>20, e.cfg.parFiles, e.cfg.parSize>>20, e.cfg.smallFiles, treeDirs)
	if e.cfg.wants(wColdStat) {
		fmt.Fprintf(&b, "- huge folder: %d keys under %s\n", e.cfg.hugeFiles, hugePrefix)
	}
	fmt.Fprintf(&b, "- runs: %d (medians), random reads %s each; every workload on a fresh mount\n", e.cfg.runs, e.cfg.duration)
	return b.String()
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	data, _ := os.ReadFile("/proc/meminfo")
	var kb int64
	for _, line := range strings.Split(string(data), "\n") {
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return fmt.Sprintf("%d GiB", (kb+1<<19)>>20)
		}
	}
	return "?"
}

func kernel() string {
	data, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(data))
}
