// Command b2mount mounts a Backblaze B2 bucket, or any S3 bucket, as a
// folder. See `b2mount --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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
	tuneGC(os.Getenv)
	status := openDaemonStatus()
	if status != nil {
		// A daemon has no terminal: a hangup is not meant for it.
		signal.Ignore(syscall.SIGHUP)
	}
	code := runAs(ctx, os.Args[0], os.Args[1:], os.Getenv, os.Stdout, os.Stderr, status)
	stop()
	os.Exit(code)
}

// run is `b2mount args...` in the foreground; see runAs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runAs(ctx, "b2mount", args, getenv, stdout, stderr, nil)
}

// runAs is the whole program, run by the name argv0 (a mount helper's
// name makes it one) with args; status is the pipe to the parent when
// this process is a daemon, else nil. It returns the exit status: 0
// after a clean unmount (or, for a daemon's parent, once the daemon has
// mounted), 1 when something failed, 2 for a bad command line.
func runAs(ctx context.Context, argv0 string, args []string, getenv func(string) string, stdout, stderr io.Writer, status *daemonStatus) int {
	c, err := parseInvocation(argv0, args, getenv)
	switch {
	case errors.Is(err, errHelp):
		usage(stdout)
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, versionText())
		return 0
	case err != nil:
		code := 1
		if errors.As(err, new(usageError)) {
			code = 2
		}
		if status != nil {
			status.fail(code, err)
			return code
		}
		fmt.Fprintf(stderr, "b2mount: %v\n", err)
		if code == 2 {
			fmt.Fprintln(stderr, "Run 'b2mount --help' for the flags and settings.")
		}
		return code
	case c.fake: // mount -f
		return 0
	case c.daemon && status == nil:
		for _, w := range c.warnings {
			fmt.Fprintf(stderr, "b2mount: warning: %s\n", w)
		}
		c.absolutePaths() // for the messages; the daemon reads args itself
		return runDaemonParent(ctx, c, argv0, args, stdout, stderr)
	}
	if status != nil {
		// A daemon must not keep a directory busy: it works from /.
		c.absolutePaths()
		if err := os.Chdir("/"); err != nil {
			status.fail(1, err)
			return 1
		}
	}
	logger, closeLog, warning, err := newLogger(c, stderr, status != nil)
	if err != nil {
		if status != nil {
			status.fail(1, err)
		} else {
			fmt.Fprintf(stderr, "b2mount: %v\n", err)
		}
		return 1
	}
	defer closeLog()
	for _, w := range c.warnings {
		logger.Warn(w)
	}
	var rep reporter = foreground{stdout: stdout, logger: logger}
	if status != nil {
		rep = background{status: status, logger: logger, warning: warning}
	}
	if err := mount(ctx, c, logger, rep); err != nil {
		if status != nil {
			logger.Error(err.Error())
			status.fail(1, err) // nothing when the parent heard "ready" already
		} else {
			fmt.Fprintf(stderr, "b2mount: %v\n", err)
		}
		return 1
	}
	return 0
}

// absolutePaths makes the paths of c absolute, for a process about to
// leave its working directory.
func (c *config) absolutePaths() {
	for _, p := range []*string{&c.mountpoint, &c.logFile, &c.stateBase, &c.s3.CredentialsFile, &c.s3.ConfigFile} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
}
