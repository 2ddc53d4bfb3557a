package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
)

// mount -t fuse.b2mount, as an fstab line does it, through the helper
// link the README installs: the options of the line apply (rw does not
// turn writes on), mount returns once the bucket is mounted, the daemon
// serves it, and umount ends the daemon with exit status 0.
func TestMountThroughMount8(t *testing.T) {
	requireMount8(t)
	installLink(t, "/sbin/mount.fuse.b2mount", binary)
	_, envFile := bucketWithPhotos(t, s3test.KindEmbedded)
	dir := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "b2mount.log")
	cleanupDaemon(t, dir, logFile)
	code, stdout, stderr := command(t, nil, "mount", "-t", "fuse.b2mount", "photos:2024", dir, "-o",
		"env_file="+envFile+",uid=1000,allow_other,metadata_ttl=5s,_netdev,nofail,x-systemd.automount,rw,log_file="+logFile+",debug")
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("mount: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	m, ok, _ := fs.MountedAt(dir)
	if !ok || m.FSType != "fuse.b2mount" || !strings.HasPrefix(m.Options, "ro,") || !strings.Contains(m.SuperOptions, "allow_other") {
		t.Fatalf("after mount: %+v, mounted %v; want a read-only fuse.b2mount with allow_other", m, ok)
	}
	_, ls, _ := command(t, nil, "ls", "-ln", dir)
	if !strings.Contains(ls, " 1000 ") || !strings.Contains(ls, "beach.jpg") || !strings.Contains(ls, "lake.jpg") {
		t.Errorf("ls -ln of the prefix 2024, uid 1000:\n%s", ls)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "lake.jpg")); err != nil || string(data) != "jpeg bytes of 2024/lake.jpg" {
		t.Errorf("read: %q, %v", data, err)
	}
	pid := daemonPid(t, logFile, dir)
	log, _ := os.ReadFile(logFile)
	if !strings.Contains(string(log), `metadata_ttl_from="-o metadata_ttl"`) || !strings.Contains(string(log), `daemon_from="mount helper"`) {
		t.Errorf("the debug log does not say the settings came from the options:\n%s", log)
	}
	if code, out, errOut := command(t, nil, "umount", dir); code != 0 {
		t.Fatalf("umount: exit %d: %s%s", code, out, errOut)
	}
	if ws := reapDaemon(t, pid); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the daemon ended with %v after umount, want exit status 0", ws)
	}
	log, _ = os.ReadFile(logFile)
	if !strings.Contains(string(log), `msg="unmounted `+dir+`" by=umount`) || !strings.Contains(string(log), "B2 transactions since the mount") {
		t.Errorf("the log lacks the unmount and the cost lines:\n%s", log)
	}
	if mounted(dir) {
		t.Errorf("%s still mounted", dir)
	}
}

// Through mount(8), a bad key, a missing bucket and a bad option fail
// with b2mount's one line, a non-zero exit, and nothing mounted or left
// running. (versitygw checks signatures; the embedded server does not.)
func TestMount8Failures(t *testing.T) {
	requireMount8(t)
	installLink(t, "/sbin/mount.fuse.b2mount", binary)
	srv, envFile := bucketWithPhotos(t, s3test.KindVersity)
	badKey := filepath.Join(t.TempDir(), "bad.env")
	os.WriteFile(badKey, []byte("ENDPOINT="+srv.URL+"\nKEY_ID="+srv.KeyID+"\nAPPLICATION_KEY=wrong\n"), 0o600)
	dir := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "b2mount.log")
	cleanupDaemon(t, dir, logFile)
	for _, tc := range []struct {
		name, source, opts, want string
		code                     int
	}{
		{"bad key", "photos", "env_file=" + badKey, "b2mount: the application key was rejected (check KEY ID and APPLICATION KEY)", 1},
		{"missing bucket", "nosuch", "env_file=" + envFile, `b2mount: bucket "nosuch" does not exist (or the key cannot see it) at ` + srv.URL, 1},
		{"unknown option", "photos", "env_file=" + envFile + ",bogus", `b2mount: unknown mount option "bogus"`, 2},
		// At boot: no env file, no HOME, nothing for the AWS chain.
		{"no key at all", "photos", "endpoint=" + srv.URL, "b2mount: no key was given, and the AWS SDK found none: ", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var environ []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "AWS_") {
					environ = append(environ, kv)
				}
			}
			environ = append(environ, "AWS_EC2_METADATA_DISABLED=true")
			code, stdout, stderr := command(t, environ, "mount", "-t", "fuse.b2mount", tc.source, dir, "-o", tc.opts+",log_file="+logFile)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != tc.code || stdout != "" || !strings.HasPrefix(lines[0], tc.want) {
				t.Errorf("exit %d (want %d), stdout %q, stderr:\n%s\nwant first line %q", code, tc.code, stdout, stderr, tc.want)
			}
			if want := map[int]int{1: 1, 2: 2}[tc.code]; len(lines) != want {
				t.Errorf("%d lines on stderr, want %d:\n%s", len(lines), want, stderr)
			}
			if mounted(dir) {
				t.Errorf("%s is mounted after a failure", dir)
			}
		})
	}
}

// Without a helper link, mount(8) falls back to fuse3's mount.fuse3, which
// runs `b2mount SOURCE DIR -o OPTIONS` through /bin/sh with b2mount on
// mount's PATH; fusermount3 -u ends the daemon with exit status 0.
func TestMountThroughMountFuse3(t *testing.T) {
	requireMount8(t)
	removeStaleLink(t, "/sbin/mount.fuse.b2mount")
	installLink(t, "/usr/local/bin/b2mount", binary)
	_, envFile := bucketWithPhotos(t, s3test.KindEmbedded)
	dir := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "b2mount.log")
	cleanupDaemon(t, dir, logFile)
	code, stdout, stderr := command(t, nil, "mount", "-t", "fuse.b2mount", "photos", dir, "-o", "env_file="+envFile+",log_file="+logFile)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("mount: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, ls, _ := command(t, nil, "ls", filepath.Join(dir, "2024")); ls != "beach.jpg\nlake.jpg\n" {
		t.Errorf("ls: %q", ls)
	}
	pid := daemonPid(t, logFile, dir)
	if code, out, errOut := command(t, nil, "fusermount3", "-u", dir); code != 0 {
		t.Fatalf("fusermount3 -u: exit %d: %s%s", code, out, errOut)
	}
	if ws := reapDaemon(t, pid); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the daemon ended with %v after fusermount3 -u, want exit status 0", ws)
	}
}
