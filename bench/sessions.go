package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/s3backend"
)

// shapeFor shapes every connection made from now on as profile p says (the
// direct client and each mount make their own) and returns the undo.
func shapeFor(e *env, p profile) (undo func(), err error) {
	if !p.shaped {
		return func() {}, nil
	}
	if err := e.srv.Proxy.SetShape(p.shape); err != nil {
		return nil, err
	}
	return func() { _ = e.srv.Proxy.SetShape(s3test.Shape{}) }, nil
}

// directClient is b2mount's own S3 client for bucket bkt, the direct
// baseline.
func directClient(ctx context.Context, e *env, bkt string) (*s3backend.Client, error) {
	return s3backend.New(ctx, s3backend.Config{
		Endpoint: e.srv.URL, Region: e.srv.Region, Bucket: bkt, KeyID: e.srv.KeyID, SecretKey: e.srv.SecretKey,
	})
}

// benchTarget is where the mounts find the bench's bucket.
func benchTarget(e *env) target {
	return target{endpoint: e.srv.URL, region: e.srv.Region, bucket: bucket, keyID: e.srv.KeyID, secret: e.srv.SecretKey,
		work: e.work, b2mount: e.b2mount}
}

// directFresh makes sessions of the direct client c.
func directFresh(c *s3backend.Client) freshFunc {
	return func(ctx context.Context) (session, error) {
		return session{fs: directFS{c: c}, stop: func() usage { return usage{} }}, nil
	}
}

// mountFresh makes sessions of contender name mounted by m from bin: each
// a new mount process at a new directory, work/mnt/<label>-<n>, whose stop
// unmounts it and returns its peak RSS and CPU time.
func mountFresh(e *env, m mounter, bin string, t target, name, label string) freshFunc {
	seq := 0
	return func(ctx context.Context) (session, error) {
		seq++
		dir := filepath.Join(e.work, "mnt", fmt.Sprintf("%s-%d", label, seq))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return session{}, err
		}
		mp, err := m.mount(ctx, bin, t, dir)
		if err != nil {
			return session{}, fmt.Errorf("%w: %w", errMount, err)
		}
		return session{fs: mountFS{dir: dir}, stop: func() usage {
			rss, err := mp.peakRSS()
			if err != nil {
				e.log.Warn("peak RSS", "contender", name, "err", err)
			}
			cpu, err := mp.cpuSeconds()
			if err != nil {
				e.log.Warn("CPU time", "contender", name, "err", err)
			}
			mp.stop()
			_ = os.Remove(dir)
			_ = os.RemoveAll(rcloneCacheDir(t, dir)) // rclone's own, per mount (mounters.go)
			return usage{rss: rss, cpu: cpu}
		}}, nil
	}
}
