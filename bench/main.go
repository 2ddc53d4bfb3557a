// Command bench measures b2mount side by side with a direct S3 client and,
// when they are installed, rclone mount and s3fs, all reading the same
// bucket from versitygw on 127.0.0.1.
//
// Every contender goes through the same path: the counting proxy of
// s3test (Server.URL), which reports the requests and response bytes the
// server saw, and which for the "wan" profile also shapes its answers
// (Proxy.SetShape): 30 ms first-byte latency and 50 MB/s per connection. Each
// workload starts on a fresh mount, so the kernel page cache and every
// metadata cache are cold; versitygw's own files stay in the machine's page
// cache. Timings are reported as medians over -runs, and as ratios to the
// direct client measured in the same run; request counts are exact.
//
// Then the write workloads (writes.go) copy local files into read-write
// mounts: cp of the big file, cp -r of 1,000 small files, rsync -a twice;
// the direct client is the SDK's multipart uploader and PutObject.
//
//	go run ./bench                # lan and wan, 3 runs, 20 s random reads
//	go run ./bench -quick         # 1 run, 5 s random reads
//	go run ./bench -workloads writes # only the write workloads
//	go run ./bench -quick -profile wan -workloads seq,cold-cat
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) == 4 && os.Args[1] == memFileCmd {
		err = serveMemFile(ctx, os.Args[2], os.Args[3]) // measureFUSECeiling's daemon
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	profiles   []profile
	runs       int
	duration   time.Duration // of each random-read workload
	timeout    time.Duration // bound on one workload
	bigSize    int64         // the big file
	parFiles   int           // files read at once
	parSize    int64         // size of each of them
	smallFiles int           // files in the listed folder
	million    int           // keys in the million-key folder (million.go); 0: no such workload
	contenders []string
	b2mountBin string          // "" builds ./cmd/b2mount
	workDir    string          // "" makes a temporary one
	workloads  map[string]bool // the workloads to run (select.go)
	hugeFiles  int             // keys in the huge folder (cold.go)
	chartsDir  string          // "" draws no charts (charts.go)
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fl := flag.NewFlagSet("bench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	profiles := fl.String("profile", "lan,wan", "network profiles to run: lan (loopback as is), wan (30 ms first-byte latency, 50 MB/s per connection)")
	fl.IntVar(&c.runs, "runs", 3, "runs of every workload; timings are medians")
	fl.DurationVar(&c.duration, "duration", 20*time.Second, "length of each random-read workload")
	quick := fl.Bool("quick", false, "one run and 5 s random reads (overrides -runs and -duration)")
	fl.DurationVar(&c.timeout, "timeout", 2*time.Minute, "give up on one workload of one contender after this long")
	bigMiB := fl.Int64("big-mib", 1024, "MiB of the big file read sequentially and at random")
	fl.IntVar(&c.parFiles, "par-files", 8, "files read at once in the parallel workload")
	parMiB := fl.Int64("par-mib", 128, "MiB of each file of the parallel workload")
	fl.IntVar(&c.smallFiles, "small-files", 10000, "files in the folder listed with ls -l")
	fl.IntVar(&c.million, "million", -1, "keys in the huge folder listed with ls -f and ls -l, on the lan profile (default 100,000; 0 with -quick); 0 skips it. versitygw's posix backend reads the whole folder for every page of 1,000, so a listing of 1,000,000 takes it about an hour")
	contenders := fl.String("contenders", "b2mount,rclone,s3fs", "mounts to compare with the direct client (skipped when not installed)")
	fl.StringVar(&c.b2mountBin, "b2mount", "", "b2mount binary to test (default: build ./cmd/b2mount)")
	fl.StringVar(&c.workDir, "work", "", "scratch directory (default: a new temporary one, removed at the end)")
	workloads := fl.String("workloads", "all", "workloads to run, comma-separated: all or some of "+strings.Join(workloadNames(), ","))
	fl.IntVar(&c.hugeFiles, "huge-files", 100000, "keys in the huge folder of the cold stat workload")
	fl.StringVar(&c.chartsDir, "charts", "docs/bench", "directory the PNG charts are written to (\"\" for none)")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if fl.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	var err error
	if c.workloads, err = parseWorkloads(*workloads); err != nil {
		return nil, err
	}
	if *quick {
		c.runs, c.duration = 1, 5*time.Second
	}
	if c.million < 0 && *quick {
		c.million = 0
	} else if c.million < 0 {
		c.million = 100_000
	}
	if c.million == 0 {
		delete(c.workloads, wMillion)
	}
	for _, name := range strings.Split(*profiles, ",") {
		p, ok := profileNamed(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown profile %q (want lan or wan)", name)
		}
		c.profiles = append(c.profiles, p)
	}
	for _, name := range strings.Split(*contenders, ",") {
		name = strings.TrimSpace(name)
		if _, ok := mounters[name]; !ok {
			return nil, fmt.Errorf("unknown contender %q (want b2mount, rclone or s3fs)", name)
		}
		c.contenders = append(c.contenders, name)
	}
	if c.runs < 1 || c.duration <= 0 || *bigMiB < 1 || *parMiB < 1 || c.parFiles < 1 || c.smallFiles < 1 || c.hugeFiles < 1 {
		return nil, fmt.Errorf("-runs, -duration, -big-mib, -par-files, -par-mib, -small-files and -huge-files must be positive")
	}
	c.bigSize, c.parSize = *bigMiB<<20, *parMiB<<20
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	env, err := setUp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer env.close()

	fmt.Fprintf(stdout, "# b2mount benchmark\n\n%s\n", env.describe())
	for _, p := range cfg.profiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cfg.wantsReads() {
			tables, err := runProfile(ctx, env, p)
			if err != nil {
				return fmt.Errorf("profile %s: %w", p.name, err)
			}
			fmt.Fprint(stdout, tables)
		}
		if cfg.wants(wWrites) {
			tables, err := runWrites(ctx, env, p)
			if err != nil {
				return fmt.Errorf("profile %s, writes: %w", p.name, err)
			}
			fmt.Fprint(stdout, tables)
		}
	}
	if cfg.chartsDir != "" {
		files, err := writeCharts(cfg, env.results)
		if err != nil {
			return fmt.Errorf("charts: %w", err)
		}
		fmt.Fprint(stdout, chartLinks(cfg.chartsDir, files))
	}
	return nil
}
