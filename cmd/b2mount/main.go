// Command b2mount mounts a Backblaze B2 bucket, or any S3 bucket, as a
// read-only folder. See `b2mount --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C, kill, and a closed terminal or ssh session (SIGHUP) all
	// unmount cleanly; the default action of each would leave a dead
	// mount ("Transport endpoint is not connected") behind.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	// A stdout or stderr whose reader went away (b2mount ... | head -1)
	// must not kill the mount either: with SIGPIPE notified, a write to
	// a broken pipe returns EPIPE instead, and the log line is lost.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit status: 0 after a clean
// unmount, 1 when something failed, 2 for a bad command line.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, getenv)
	switch {
	case errors.Is(err, errHelp):
		usage(stdout)
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "b2mount", version)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "b2mount: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "Run 'b2mount --help' for the flags and settings.")
			return 2
		}
		return 1
	}
	level := slog.LevelInfo
	if c.debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	for _, w := range c.warnings {
		logger.Warn(w)
	}
	if err := mount(ctx, c, logger, stdout); err != nil {
		fmt.Fprintf(stderr, "b2mount: %v\n", err)
		return 1
	}
	return 0
}
