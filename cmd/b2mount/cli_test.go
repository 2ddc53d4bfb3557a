package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

func TestDemoMountListCopyAndCtrlC(t *testing.T) {
	testenv.RequireFUSE(t)
	dir := t.TempDir()
	p := startMount(t, os.Environ(), "--demo", dir)
	out, err := exec.Command("ls", "-l", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("ls -l: %v\n%s", err, out)
	}
	for _, name := range []string{"album", "beach.jpg", "bobcat.jpg", "coconuts.jpg", "lake.jpg", "sunset.jpg"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("ls -l lacks %s:\n%s", name, out)
		}
	}
	dst := filepath.Join(t.TempDir(), "album")
	if out, err := exec.Command("cp", "-r", filepath.Join(dir, "album"), dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -r: %v\n%s", err, out)
	}
	if out, err := exec.Command("diff", "-r", "../../testdata/developer-b2-quick-start/album", dst).CombinedOutput(); err != nil {
		t.Errorf("copied album differs: %v\n%s", err, out)
	}
	if out, err := exec.Command("cmp", "../../testdata/developer-b2-quick-start/lake.jpg", filepath.Join(dir, "lake.jpg")).CombinedOutput(); err != nil {
		t.Errorf("lake.jpg differs: %v\n%s", err, out)
	}
	p.stop(t, syscall.SIGINT)
}

func TestBadInputFailsBeforeMounting(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindVersity)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	good := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"ENDPOINT=" + srv.URL, "KEY_ID_RO=" + srv.KeyID, "APPLICATION_KEY_RO=" + srv.SecretKey}
	with := func(kv ...string) []string { return append(append([]string(nil), good...), kv...) }
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)

	t.Run("unreachable endpoint", func(t *testing.T) {
		failure(t, 1, with("ENDPOINT=http://127.0.0.1:9"), "cannot reach endpoint", "--retries", "2", "photos", dir)
	})
	t.Run("wrong key", func(t *testing.T) {
		failure(t, 1, with("APPLICATION_KEY_RO=wrong-secret"), "application key was rejected", "photos", dir)
	})
	t.Run("unknown key id", func(t *testing.T) {
		failure(t, 1, with("KEY_ID_RO=nosuchkey"), "application key was rejected", "photos", dir)
	})
	t.Run("missing bucket", func(t *testing.T) {
		failure(t, 1, good, `bucket "nosuchbucket" does not exist`, "nosuchbucket", dir)
	})
	t.Run("missing mount point", func(t *testing.T) {
		failure(t, 1, good, "does not exist", "photos", filepath.Join(dir, "nope"))
	})
	t.Run("mount point is a file", func(t *testing.T) {
		failure(t, 1, good, "is not a directory", "photos", file)
	})
	// A bad command line: exit 2, the error once and a pointer to --help,
	// before anything is mounted.
	t.Run("unknown flag", func(t *testing.T) {
		failure(t, 2, good, "flag provided but not defined: --nosuch", "--nosuch", "photos", dir)
	})
	t.Run("uid beyond 32 bits", func(t *testing.T) {
		failure(t, 2, good, `--uid "4294967296": want a number from 0 to 4294967295`, "--uid", "4294967296", "photos", dir)
	})
	t.Run("memory limit overflow", func(t *testing.T) {
		failure(t, 2, good, `--memory-limit "99999999999999": want whole MiB from 0 to 1048576`, "--memory-limit", "99999999999999", "photos", dir)
	})
	t.Run("empty mount point", func(t *testing.T) {
		failure(t, 2, good, "the mount point is empty", "photos", "")
	})
	t.Run("no endpoint", func(t *testing.T) {
		failure(t, 2, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, "no endpoint", "photos", dir)
	})
	t.Run("the secret never shows", func(t *testing.T) {
		cmd := exec.Command(binary, "--debug", "nosuchbucket", dir)
		cmd.Env = with("APPLICATION_KEY_RO=s3cr3t-w0rd-" + srv.SecretKey)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), "s3cr3t-w0rd") || strings.Contains(string(out), srv.SecretKey) {
			t.Errorf("output holds the secret:\n%s", out)
		}
	})
}

func TestMountOfARealServerAndAlreadyMounted(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindVersity)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutObject("photos", "2024/beach.jpg", []byte("jpeg bytes")); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(envFile, []byte("ENDPOINT="+srv.URL+"\nKEY_ID_RO="+srv.KeyID+"\nAPPLICATION_KEY_RO="+srv.SecretKey+"\n"), 0o600)
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	dir := t.TempDir()
	p := startMount(t, environ, "--env-file", envFile, "photos:2024", dir)
	data, err := os.ReadFile(filepath.Join(dir, "beach.jpg"))
	if err != nil || string(data) != "jpeg bytes" {
		t.Errorf("read through the prefix mount: %q, %v", data, err)
	}
	failure(t, 1, environ, "already a mount point", "--env-file", envFile, "photos", dir)
	p.stop(t, syscall.SIGTERM)
}

// A symbolic link to a directory mounts the directory itself: the ready
// line, the messages and the unmount name the real path.
func TestSymlinkedMountPoint(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutObject("photos", "beach.jpg", []byte("jpeg bytes")); err != nil {
		t.Fatal(err)
	}
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	p := startMount(t, serverEnv(t, srv), "photos", link)
	p.dir = real
	if !strings.Contains(p.stdout.String(), "mounted read-only at "+real+" ") || !mounted(real) {
		t.Errorf("ready line %q, mounted %v; want %s mounted", p.stdout, mounted(real), real)
	}
	if data, err := os.ReadFile(filepath.Join(link, "beach.jpg")); err != nil || string(data) != "jpeg bytes" {
		t.Errorf("read through the link: %q, %v", data, err)
	}
	failure(t, 1, serverEnv(t, srv), "mount point "+real+" is already a mount point (unmount it with fusermount3 -u "+real+")", "photos", link)
	p.stop(t, syscall.SIGTERM)
}
