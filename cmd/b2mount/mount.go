package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/s3backend"
)

// unmountWait bounds how long a shutdown waits for the kernel to let go.
const unmountWait = 2 * time.Second

// mount checks the mount point and the bucket, mounts, and serves until
// ctx ends or someone unmounts the folder.
func mount(ctx context.Context, c *config, logger *slog.Logger, stdout io.Writer) error {
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
	s3cfg := c.s3
	s3cfg.Logger = logger
	client, err := s3backend.New(ctx, s3cfg)
	if err != nil {
		return err
	}
	logger.Debug("settings", c.logAttrs(client.Region())...)
	if err := client.Check(ctx, c.prefix); err != nil {
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
	server, err := gofs.Mount(dir, root, fs.GoFuseOptions(fsOpt, "b2:"+c.s3.Bucket, c.allowOther))
	if err != nil {
		return fmt.Errorf("cannot mount at %s: %w", dir, err)
	}
	if err := fs.RaiseReadAhead(dir, 1<<20); err != nil {
		logger.Debug("kernel read-ahead not raised; reads arrive in smaller requests", "err", err)
	}
	fmt.Fprintf(stdout, "b2mount: %s mounted %s at %s (credentials from %s); Ctrl-C unmounts\n",
		c.s3.Bucket+suffix(":", strings.TrimSuffix(c.prefix, "/")), access, dir, c.sources["credentials"])

	done := make(chan struct{})
	go func() {
		server.Wait()
		close(done)
	}()
	select {
	case <-done:
		logger.Info("unmounted from outside", "mountpoint", dir)
		return nil
	case <-ctx.Done():
	}
	if err := unmount(server, dir, done, logger); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "b2mount: unmounted %s\n", dir)
	return nil
}

// unmount releases the mount point. If the kernel says it is busy (a
// shell sits in it, a file is open), it detaches it lazily instead, so the
// process can still exit; the files' users then get errors, not a hang.
func unmount(server *fuse.Server, dir string, done <-chan struct{}, logger *slog.Logger) error {
	err := server.Unmount()
	if err != nil && isMounted(dir) {
		logger.Warn("mount point busy; detaching it lazily", "mountpoint", dir, "err", err)
		if out, lerr := exec.Command("fusermount3", "-u", "-z", dir).CombinedOutput(); lerr != nil {
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
	if isMounted(abs) {
		return "", fmt.Errorf("mount point %s is already a mount point (unmount it with fusermount3 -u %s)", abs, abs)
	}
	return abs, nil
}

// isMounted reports whether dir is a mount point.
func isMounted(dir string) bool {
	_, ok, _ := fs.MountedAt(dir)
	return ok
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
			return "", fmt.Errorf("no place to keep the state of a read-write mount (%v): pass --state-dir DIR", err)
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
