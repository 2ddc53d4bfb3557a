package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// target is where a contender finds the bucket.
type target struct {
	endpoint, region string
	bucket           string
	keyID, secret    string
	work             string // scratch directory for config files
	b2mount          string // the b2mount binary
	writable         bool   // mount read-write (the write workloads)
}

// mounter starts one kind of FUSE mount of the bench bucket at dir, in the
// foreground, with its defaults except what it needs to reach the local
// endpoint path-style and read-only (read-write, with what each needs to
// write, when target.writable).
type mounter struct {
	// binary is looked up on $PATH; "" means target.b2mount.
	binary string
	mount  func(ctx context.Context, bin string, t target, dir string) (*mountProc, error)
}

var mounters = map[string]mounter{
	"b2mount": {mount: mountB2mount},
	"rclone":  {binary: "rclone", mount: mountRclone},
	"s3fs":    {binary: "s3fs", mount: mountS3fs},
}

// find returns the contender's binary, or errNotInstalled.
func (m mounter) find(t target) (string, error) {
	if m.binary == "" {
		return t.b2mount, nil
	}
	p, err := exec.LookPath(m.binary)
	if err != nil {
		return "", fmt.Errorf("%s %w (apt-get install -y %s)", m.binary, errNotInstalled, m.binary)
	}
	return p, nil
}

func mountB2mount(ctx context.Context, bin string, t target, dir string) (*mountProc, error) {
	args := []string{"--endpoint", t.endpoint, "--region", t.region}
	if t.writable {
		args = append(args, "--read-write", "--state-dir", filepath.Join(t.work, "b2mount-state"))
	}
	cmd := exec.Command(bin, append(args, t.bucket, dir)...)
	cmd.Dir = t.work // no stray .env
	cmd.Env = append(minimalEnv(), "AWS_ACCESS_KEY_ID="+t.keyID, "AWS_SECRET_ACCESS_KEY="+t.secret)
	return startMount(ctx, "b2mount", dir, cmd)
}

// mountRclone uses an on-the-fly remote; the VFS cache stays at its
// default (off), as do chunk sizes and buffers. Writable, it needs
// --vfs-cache-mode writes (cp and rsync fail without it), which uploads
// after close (--vfs-write-back, 5 s).
func mountRclone(ctx context.Context, bin string, t target, dir string) (*mountProc, error) {
	args := []string{"mount", ":s3:" + t.bucket, dir,
		"--config", os.DevNull,
		"--s3-provider", "Other",
		"--s3-endpoint", t.endpoint,
		"--s3-region", t.region,
		"--s3-force-path-style=true",
		"--s3-access-key-id", t.keyID,
		"--s3-secret-access-key", t.secret,
	}
	if t.writable {
		args = append(args, "--vfs-cache-mode", "writes", "--cache-dir", rcloneCacheDir(t, dir))
	} else {
		args = append(args, "--read-only")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.work
	cmd.Env = minimalEnv()
	return startMount(ctx, "rclone", dir, cmd)
}

// rcloneCacheDir is the VFS cache of the rclone mount at dir: one per
// mount, so that no mount uploads what an earlier one left in its cache.
func rcloneCacheDir(t target, dir string) string {
	return filepath.Join(t.work, "rclone-cache-"+filepath.Base(dir))
}

func mountS3fs(ctx context.Context, bin string, t target, dir string) (*mountProc, error) {
	pw := filepath.Join(t.work, "s3fs.passwd")
	if err := os.WriteFile(pw, []byte(t.keyID+":"+t.secret+"\n"), 0o600); err != nil {
		return nil, err
	}
	mode := "ro"
	if t.writable {
		mode = "rw"
	}
	cmd := exec.Command(bin, t.bucket, dir, "-f",
		"-o", mode,
		"-o", "url="+t.endpoint,
		"-o", "use_path_request_style",
		"-o", "endpoint="+t.region,
		"-o", "passwd_file="+pw,
	)
	cmd.Dir = t.work
	cmd.Env = minimalEnv()
	return startMount(ctx, "s3fs", dir, cmd)
}

// minimalEnv passes on only what a program needs to run: no AWS_*, no
// proxy settings.
func minimalEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
