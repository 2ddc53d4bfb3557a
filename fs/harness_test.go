package fs_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// mountSpec says how mountWith mounts a bucket.
type mountSpec struct {
	bucket, prefix string
	// client adjusts the s3backend.Config (timeouts, retries, backoff).
	client func(*s3backend.Config)
	// opt are the file system options; zero means fs.DefaultOptions().
	opt *fs.Options
	// direct talks to the server itself, not through its proxy (no
	// faults, no request log; less work for tests that need neither).
	direct bool
	// noKernelCache turns off the kernel's entry, attribute and negative
	// caches, so a test sees b2mount's own caching (driven by opt.Clock).
	noKernelCache bool
	// readWrite mounts read-write (b2mount --read-write): writes on, modes
	// 0644 and 0755 unless opt says otherwise, and what was left by a
	// mount that died with the same stateDir cleaned up first, as the CLI
	// does (fs.RecoverWrites).
	readWrite bool
	// stateDir is the read-write mount's state directory (--state-dir);
	// "" gives it a new one of its own.
	stateDir string
}

// mountWith mounts spec.bucket of srv through s3backend, as the CLI does,
// and unmounts it when the test ends.
func mountWith(t *testing.T, srv *s3test.Server, spec mountSpec) string {
	t.Helper()
	testenv.RequireFUSE(t)
	cfg := s3backend.Config{
		Endpoint: srv.URL, Region: srv.Region, Bucket: spec.bucket, KeyID: srv.KeyID, SecretKey: srv.SecretKey,
	}
	if spec.direct {
		cfg.Endpoint = srv.BackendURL
	}
	if spec.client != nil {
		spec.client(&cfg)
	}
	client, err := s3backend.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Check(context.Background(), spec.prefix); err != nil {
		t.Fatal(err)
	}
	opt := fs.DefaultOptions()
	if spec.readWrite {
		opt.FileMode, opt.DirMode = 0o644, 0o755
	}
	if spec.opt != nil {
		opt = *spec.opt
	}
	if spec.readWrite {
		opt.Writes.Enabled = true
		opt.Writes.StateDir = spec.stateDir
		if opt.Writes.StateDir == "" {
			opt.Writes.StateDir = t.TempDir()
		}
		fs.RecoverWrites(context.Background(), client, spec.prefix, opt)
	}
	root, err := fs.NewRoot(client, spec.prefix, opt)
	if err != nil {
		t.Fatal(err)
	}
	mo := fs.GoFuseOptions(opt, "b2:"+spec.bucket, false)
	if spec.noKernelCache {
		testenv.NoKernelCache(mo)
	}
	return testenv.Mount(t, root, mo)
}

// cmdResult is how a program run on the mount ended.
type cmdResult struct {
	out     string
	code    int // exit status; -1 if it did not start or was killed
	elapsed time.Duration
}

// runLimited runs a program with a time limit and returns how it ended;
// the test fails if it had to be killed.
func runLimited(t *testing.T, limit time.Duration, name string, args ...string) cmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	res := cmdResult{out: string(out), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		res.code = -1
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s still running after %s", name, strings.Join(args, " "), limit)
	}
	return res
}
