package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// mountOptions returns the mount options and the super options of the
// mount at dir.
func mountOptions(t *testing.T, dir string) (string, string) {
	t.Helper()
	m, ok, err := fs.MountedAt(dir)
	if err != nil || !ok {
		t.Fatalf("%s is not mounted: %v", dir, err)
	}
	return m.Options, m.SuperOptions
}

// --allow-other lets other users in, and turns on default_permissions so
// that the kernel enforces the file modes: "nobody" may list the mount
// and read a 0444 file, but not a file of mode 0440 owned by root.
func TestAllowOtherEnforcesModes(t *testing.T) {
	testenv.RequireFUSE(t)
	testenv.Require(t, os.Getuid() == 0, "--allow-other without user_allow_other and running as another user need root")
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	const bucket = "shared"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutObject(bucket, "f.txt", []byte("for root and group 0 only")); err != nil {
		t.Fatal(err)
	}
	// "nobody" must be able to reach the mount point.
	parent, err := os.MkdirTemp("", "b2mount-allow-other")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	asNobody := func(name string, args ...string) ([]byte, error) {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		return cmd.CombinedOutput()
	}

	for _, tc := range []struct {
		mode string
		read bool
	}{{"0440", false}, {"0444", true}} {
		dir := filepath.Join(parent, "mnt"+tc.mode)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := startMount(t, serverEnv(t, srv), "--allow-other", "--uid", "0", "--gid", "0", "--file-mode", tc.mode, bucket, dir)
		mountOpts, superOpts := mountOptions(t, dir)
		for _, want := range []string{"allow_other", "default_permissions"} {
			if !strings.Contains(","+superOpts+",", ","+want+",") {
				t.Errorf("--allow-other mount options %q lack %s", superOpts, want)
			}
		}
		if !strings.Contains(","+mountOpts+",", ",ro,") {
			t.Errorf("mount options %q, want ro", mountOpts)
		}
		if out, err := asNobody("ls", dir); err != nil || !strings.Contains(string(out), "f.txt") {
			t.Errorf("ls as nobody: %v, %s", err, out)
		}
		out, err := asNobody("cat", filepath.Join(dir, "f.txt"))
		switch {
		case tc.read && (err != nil || string(out) != "for root and group 0 only"):
			t.Errorf("cat of a %s file as nobody: %v, %s", tc.mode, err, out)
		case !tc.read && (err == nil || !strings.Contains(string(out), "Permission denied")):
			t.Errorf("cat of a %s root file as nobody: %v, %s; want Permission denied", tc.mode, err, out)
		}
		p.stop(t, syscall.SIGTERM)
	}
}

// --file-mode 0 and --dir-mode 0 give mode 0000, as stat shows it: not
// the 0644 and 0755 go-fuse puts in place of zero permission bits unless
// told not to.
func TestModeZeroIsZero(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	const bucket = "closed"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"f.txt", "d/g.txt"} {
		if err := srv.PutObject(bucket, k, []byte("closed")); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	p := startMount(t, serverEnv(t, srv), "--file-mode", "0", "--dir-mode", "0", bucket, dir)
	for path, want := range map[string]string{
		dir:                              "0 directory",
		filepath.Join(dir, "d"):          "0 directory",
		filepath.Join(dir, "f.txt"):      "0 regular file",
		filepath.Join(dir, "d", "g.txt"): "0 regular file",
	} {
		out, err := exec.Command("stat", "-c", "%a %F", path).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != want {
			t.Errorf("stat %s: %q, %v; want %q", path, got, err, want)
		}
	}
	p.stop(t, syscall.SIGTERM)
}
