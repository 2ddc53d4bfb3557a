package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/metrics"
	"github.com/b2mount/b2mount/s3backend"
)

// unmountWait bounds how long a shutdown waits for the kernel to let go.
const unmountWait = 2 * time.Second

// mount checks the mount point and the bucket, mounts, and serves until
// ctx ends or someone unmounts the folder; rep hears how it goes. SIGUSR1
// logs what the requests so far cost, and so does the end.
func mount(ctx context.Context, c *config, logger *slog.Logger, rep reporter) error {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	dir, err := checkMountpoint(c.mountpoint)
	if err != nil {
		return err
	}
	if c.demo {
		stopDemo, err := startDemo(c, logger)
		if err != nil {
			return err
		}
		defer stopDemo()
	}
	m := metrics.New(metrics.Options{Prices: &c.prices})
	if c.metricsAddr != "" {
		stop, err := serveMetrics(c.metricsAddr, m, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	s3cfg := c.s3
	s3cfg.Logger, s3cfg.Observer = logger, m
	client, err := s3backend.New(ctx, s3cfg)
	if err != nil {
		return err
	}
	logger.Debug("settings", c.logAttrs(client.Region())...)
	if err := client.Check(ctx, c.prefix); err != nil {
		if errors.Is(err, s3backend.ErrNoCredentials) {
			return fmt.Errorf("%v; set KEY_ID and APPLICATION_KEY in the environment or in an env file (--env-file PATH, -o env_file=PATH)", err)
		}
		return err
	}
	fsOpt := c.fs
	fsOpt.Logger = logger
	access := "read-only"
	if fsOpt.Writes.Enabled {
		access = "read-write"
		if fsOpt.Writes.StateDir, err = stateDirFor(c.stateBase, c.s3.Endpoint, c.s3.Bucket, c.prefix); err != nil {
			return err
		}
		fs.RecoverWrites(ctx, client, c.prefix, fsOpt)
	}
	root, err := fs.NewRoot(client, c.prefix, fsOpt)
	if err != nil {
		return err
	}
	m.WatchMount(func() fs.Stats { s, _ := fs.MountStats(root); return s })
	server, err := serveFUSE(dir, root, fs.GoFuseOptions(fsOpt, "b2:"+c.s3.Bucket, c.allowOther), m, logger)
	if err != nil {
		return fmt.Errorf("cannot mount at %s: %w", dir, err)
	}
	if err := fs.RaiseReadAhead(dir, 1<<20); err != nil {
		logger.Debug("kernel read-ahead not raised; reads arrive in smaller requests", "err", err)
	}
	rep.mounted(fmt.Sprintf("%s mounted %s at %s (credentials from %s)",
		c.s3.Bucket+suffix(":", strings.TrimSuffix(c.prefix, "/")), access, dir, c.sources["credentials"]))

	done := make(chan struct{})
	go func() {
		server.Wait()
		close(done)
	}()
	outside := waitForEnd(ctx, done, usr1, func() { logCost(logger, m) })
	rep.stopping()
	if !outside {
		err = unmount(server, dir, done, logger)
	}
	logCost(logger, m)
	if err != nil {
		return err
	}
	rep.unmounted(dir, outside)
	return nil
}

// waitForEnd waits until the mount is unmounted from outside (true) or
// ctx ends (false), calling onUSR1 for every SIGUSR1 meanwhile.
func waitForEnd(ctx context.Context, unmounted <-chan struct{}, usr1 <-chan os.Signal, onUSR1 func()) bool {
	for {
		select {
		case <-usr1:
			onUSR1()
		case <-unmounted:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// serveFUSE mounts root at dir with opts and serves it, every operation
// timed by m; it returns once the kernel has the mount. go-fuse's own
// messages go to logger.
func serveFUSE(dir string, root gofs.InodeEmbedder, opts *gofs.Options, m *metrics.Metrics, logger *slog.Logger) (*fuse.Server, error) {
	opts.MountOptions.Logger = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	server, err := fuse.NewServer(m.WrapFUSE(gofs.NewNodeFS(root, opts)), dir, &opts.MountOptions)
	if err != nil {
		return nil, err
	}
	go server.Serve()
	if err := server.WaitMount(); err != nil {
		return nil, err // the serve loop ends on its own: nothing is mounted
	}
	return server, nil
}

// serveMetrics serves m at http://addr/metrics until the returned func is
// called.
func serveMetrics(addr string, m *metrics.Metrics, logger *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot serve metrics at %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}
	go srv.Serve(ln)
	logger.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}

// logCost logs the requests so far by B2 class and what they cost.
func logCost(logger *slog.Logger, m *metrics.Metrics) {
	logger.Info("B2 transactions since the mount", m.Summary().LogAttrs()...)
}

// unmount releases the mount point. If the kernel says it is busy (a
// shell sits in it, a file is open), it detaches it lazily instead, so the
// process can still exit; the files' users then get errors, not a hang.
func unmount(server *fuse.Server, dir string, done <-chan struct{}, logger *slog.Logger) error {
	err := server.Unmount()
	if err != nil && servedAt(dir) {
		logger.Warn("mount point busy; detaching it lazily", "mountpoint", dir, "err", err)
		if out, lerr := exec.Command(fusermount(), "-u", "-z", dir).CombinedOutput(); lerr != nil {
			return fmt.Errorf("cannot unmount %s: %v (%s)", dir, lerr, strings.TrimSpace(string(out)))
		}
	}
	select {
	case <-done:
	case <-time.After(unmountWait):
		logger.Warn("the kernel still holds the mount; exiting anyway", "mountpoint", dir)
	}
	return nil
}

// checkMountpoint makes sure dir is an existing directory we may mount
// on, and returns its real path: absolute, with symbolic links resolved,
// so that the messages and fusermount3 name the directory itself
// (fusermount3 refuses a symbolic link with a misleading message).
func checkMountpoint(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("bad mount point %q: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		abs = real
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("mount point %s does not exist (create it with mkdir)", abs)
	case err != nil:
		return "", fmt.Errorf("mount point %s cannot be used: %v", abs, err)
	case !fi.IsDir():
		return "", fmt.Errorf("mount point %s is not a directory", abs)
	}
	if m, ok, _ := fs.MountedAt(abs); ok && !mountableOver(m) {
		return "", fmt.Errorf("mount point %s is already a mount point (unmount it with fusermount3 -u %s)", abs, abs)
	}
	return abs, nil
}

// mountableOver reports whether b2mount may mount over m: only over an
// autofs mount point, which is how x-systemd.automount and autofs mount a
// file system on first use (they wait for b2mount to mount over theirs).
func mountableOver(m fs.MountInfo) bool { return m.FSType == "autofs" }

// servedAt reports whether dir is a b2mount mount point.
func servedAt(dir string) bool {
	m, ok, _ := fs.MountedAt(dir)
	return ok && m.FSType == "fuse.b2mount"
}

// fusermount is fusermount3's path: on PATH, else in /bin (systemd runs
// mount helpers with a bare PATH), as go-fuse finds it.
func fusermount() string {
	if p, err := exec.LookPath("fusermount3"); err == nil {
		return p
	}
	return "/bin/fusermount3"
}

// stateDirFor is where a read-write mount of bucket and prefix at
// endpoint keeps its state: a folder of base (the user's cache directory
// if base is "") named for the bucket and a hash of the three, so that
// every mount of the same bucket and prefix on this machine shares it
// (and finds what a mount that died left behind), and no other does.
func stateDirFor(base, endpoint, bucket, prefix string) (string, error) {
	if base == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no place to keep the state of a read-write mount (%v; at boot there is no HOME): pass --state-dir DIR, or state_dir=DIR in fstab", err)
		}
		base = filepath.Join(cache, "b2mount")
	}
	sum := sha256.Sum256([]byte(endpoint + "\x00" + bucket + "\x00" + prefix))
	return filepath.Join(base, bucket+"-"+hex.EncodeToString(sum[:6])), nil
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}
