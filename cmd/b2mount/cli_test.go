package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// binary is the b2mount built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "b2mount-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "b2mount")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build b2mount: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func mounted(dir string) bool {
	_, ok, _ := fs.MountedAt(dir)
	return ok
}

// startMount runs b2mount with args and waits for its ready line. The
// process is stopped (SIGINT, then SIGKILL) when the test ends.
func startMount(t *testing.T, environ []string, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGINT)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if !strings.Contains(line, "mounted read-only at") {
			t.Fatalf("b2mount did not mount: stdout %q, stderr:\n%s", line, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("b2mount not ready after 30s; stderr:\n%s", stderr.String())
	}
	return cmd, &stderr
}

// stop sends sig and expects a clean exit 0 within 10 s with the mount gone.
func stop(t *testing.T, cmd *exec.Cmd, dir string, sig syscall.Signal) {
	t.Helper()
	cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("b2mount exited with %v after %v, want 0", err, sig)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("b2mount still running 10s after %v", sig)
	}
	if mounted(dir) {
		t.Errorf("%s is still mounted after b2mount exited", dir)
	}
}

func TestDemoMountListCopyAndCtrlC(t *testing.T) {
	testenv.RequireFUSE(t)
	dir := t.TempDir()
	cmd, _ := startMount(t, os.Environ(), "--demo", dir)
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
	stop(t, cmd, dir, syscall.SIGINT)
}

// failure runs b2mount to completion and checks it failed with one line
// that contains want, and left nothing mounted. It returns the output.
func failure(t *testing.T, environ []string, want string, args ...string) string {
	t.Helper()
	wasMounted := mounted(args[len(args)-1])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("b2mount %v: exit 0, want failure", args)
	}
	if ctx.Err() != nil {
		t.Fatalf("b2mount %v did not finish within 60s", args)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "b2mount: ") || !strings.Contains(lines[0], want) {
		t.Errorf("b2mount %v: stderr\n%s\nwant one line with %q", args, stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
	if mp := args[len(args)-1]; mounted(mp) && !wasMounted {
		t.Errorf("%s is mounted after a failure", mp)
	}
	return stdout.String() + stderr.String()
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
		failure(t, with("ENDPOINT=http://127.0.0.1:9"), "cannot reach endpoint", "--retries", "2", "photos", dir)
	})
	t.Run("wrong key", func(t *testing.T) {
		failure(t, with("APPLICATION_KEY_RO=wrong-secret"), "application key was rejected", "photos", dir)
	})
	t.Run("unknown key id", func(t *testing.T) {
		failure(t, with("KEY_ID_RO=nosuchkey"), "application key was rejected", "photos", dir)
	})
	t.Run("missing bucket", func(t *testing.T) {
		failure(t, good, `bucket "nosuchbucket" does not exist`, "nosuchbucket", dir)
	})
	t.Run("missing mount point", func(t *testing.T) {
		failure(t, good, "does not exist", "photos", filepath.Join(dir, "nope"))
	})
	t.Run("mount point is a file", func(t *testing.T) {
		failure(t, good, "is not a directory", "photos", file)
	})
	t.Run("no endpoint", func(t *testing.T) {
		failure(t, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, "no endpoint", "photos", dir)
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
	cmd, _ := startMount(t, environ, "--env-file", envFile, "photos:2024", dir)
	data, err := os.ReadFile(filepath.Join(dir, "beach.jpg"))
	if err != nil || string(data) != "jpeg bytes" {
		t.Errorf("read through the prefix mount: %q, %v", data, err)
	}
	failure(t, environ, "already a mount point", "--env-file", envFile, "photos", dir)
	stop(t, cmd, dir, syscall.SIGTERM)
}
