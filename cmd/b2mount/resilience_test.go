package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// serverEnv is a minimal environment that points b2mount at srv with its
// root key in the environment.
func serverEnv(t *testing.T, srv *s3test.Server) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"ENDPOINT=" + srv.URL, "KEY_ID_RO=" + srv.KeyID, "APPLICATION_KEY_RO=" + srv.SecretKey}
}

// waitFor polls cond every 20ms for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stalledGET reports whether the proxy holds a GET of key: one that got
// no answer yet (the log fills in the fault when the request ends).
func stalledGET(srv *s3test.Server, key string) bool {
	for _, r := range srv.Proxy.Requests() {
		if r.Op == s3test.OpGet && strings.HasSuffix(r.Path, "/"+key) && r.Status == 0 && r.Duration == 0 {
			return true
		}
	}
	return false
}

// SIGTERM or SIGINT while reads hang on a server that stopped answering:
// b2mount exits 0 within 10s (not after the 30s operation timeout), the
// mount point is released (lazily, since files are open), and the readers
// get an error instead of hanging: a cat, and a file this test holds open.
// The stall is the proxy's, so the server behind it does not matter: one
// signal runs against each server.
func TestSignalDuringStalledReadsExitsCleanly(t *testing.T) {
	testenv.RequireFUSE(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		kind string
	}{{syscall.SIGTERM, s3test.KindVersity}, {syscall.SIGINT, s3test.KindEmbedded}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			srv := testenv.StartServer(t, tc.kind)
			const bucket = "stall"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB
			for _, k := range []string{"held.bin", "catted.bin"} {
				if err := srv.PutObject(bucket, k, data); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			cmd, stderr := startMount(t, serverEnv(t, srv), bucket, dir)

			held, err := os.Open(filepath.Join(dir, "held.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			head := make([]byte, 4096)
			if _, err := held.ReadAt(head, 0); err != nil {
				t.Fatal(err)
			}
			if err := srv.Proxy.SetFaults(s3test.Faults{StallFraction: 1, StallOps: []string{s3test.OpGet}}); err != nil {
				t.Fatal(err)
			}
			// A read of the held file far from what was fetched, and a
			// cat of another file: both wait on stalled GETs.
			heldErr := make(chan error, 1)
			go func() {
				_, err := held.ReadAt(make([]byte, 4096), 3<<20)
				heldErr <- err
			}()
			cat := exec.Command("cat", filepath.Join(dir, "catted.bin"))
			var catErr strings.Builder
			cat.Stdout, cat.Stderr = io.Discard, &catErr
			if err := cat.Start(); err != nil {
				t.Fatal(err)
			}
			catDone := make(chan error, 1)
			go func() { catDone <- cat.Wait() }()
			waitFor(t, "cat's GET to stall", func() bool { return stalledGET(srv, "catted.bin") })
			waitFor(t, "the held file's GET to stall", func() bool { return stalledGET(srv, "held.bin") })

			start := time.Now()
			stop(t, cmd, dir, tc.sig) // exit 0 within 10s, mount point gone
			t.Logf("b2mount exited %s after %v", time.Since(start).Round(time.Millisecond), tc.sig)
			if !strings.Contains(stderr.String(), "detaching it lazily") {
				t.Errorf("no lazy unmount logged for a busy mount point:\n%s", stderr.String())
			}
			select {
			case err := <-catDone:
				if err == nil {
					t.Errorf("cat of a file whose read was cut off by the exit succeeded")
				}
				t.Logf("cat: %v: %s", err, strings.TrimSpace(catErr.String()))
			case <-time.After(10 * time.Second):
				cat.Process.Kill()
				t.Fatal("cat still hangs 10s after b2mount exited")
			}
			select {
			case err := <-heldErr:
				if err == nil {
					t.Errorf("the in-flight read of the held file succeeded")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the in-flight read of the held file still hangs 10s after b2mount exited")
			}
			if _, err := held.ReadAt(head, 1<<20); err == nil {
				t.Errorf("a read after b2mount exited succeeded")
			}
		})
	}
}

// A key that may not use the bucket (versitygw: a user that does not own
// it; B2: a key without listFiles/readFiles) fails with one line that says
// so, exits non-zero and mounts nothing.
func TestKeyWithoutCapabilitiesFailsBeforeMounting(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartVersityWithUsers(t)
	if err := srv.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	const keyID, secret = "LIMITEDKEY0000000000", "limited-secret-never-printed"
	if err := srv.CreateUser(keyID, secret, s3test.RoleUser); err != nil {
		t.Fatal(err)
	}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"ENDPOINT=" + srv.URL, "KEY_ID_RO=" + keyID, "APPLICATION_KEY_RO=" + secret}
	out := failure(t, environ, `the key may not list bucket "photos" (it needs listFiles and readFiles)`, "photos", t.TempDir())
	if strings.Contains(out, secret) {
		t.Errorf("the message shows the secret: %s", out)
	}
}

// procCmdline is the command line of pid, as ps shows it.
func procCmdline(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(data), "\x00", " ")
}

// The application key never shows: not in any log line at --debug (with
// retries, cut bodies and a failed read to log), not on the command line
// in /proc, whether it comes from the environment or a .env file; and a
// .env file that every user can read gets a warning.
func TestSecretNeverShows(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindVersity)
	const bucket = "secrets"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a/one.txt", "a/two.txt", "b.bin"} {
		if err := srv.PutObject(bucket, k, bytes.Repeat([]byte(k), 50_000)); err != nil {
			t.Fatal(err)
		}
	}
	envFile := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(envFile, []byte("ENDPOINT="+srv.URL+"\nKEY_ID_RO="+srv.KeyID+"\nAPPLICATION_KEY_RO="+srv.SecretKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(envFile, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	bare := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for name, start := range map[string]func(dir string) (*exec.Cmd, *strings.Builder){
		"environment": func(dir string) (*exec.Cmd, *strings.Builder) {
			return startMount(t, serverEnv(t, srv), "--debug", "--retries", "20", bucket, dir)
		},
		"env file": func(dir string) (*exec.Cmd, *strings.Builder) {
			return startMount(t, bare, "--debug", "--retries", "20", "--env-file", envFile, bucket, dir)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := srv.Proxy.SetFaults(s3test.Faults{}); err != nil {
				t.Fatal(err)
			}
			cmd, stderr := start(dir) // b2mount's stdout is its ready line only
			if cmdline := procCmdline(t, cmd.Process.Pid); strings.Contains(cmdline, srv.SecretKey) {
				t.Errorf("/proc/%d/cmdline holds the secret: %s", cmd.Process.Pid, cmdline)
			}
			// Give the debug log retries and resumes to report, then a
			// read that fails for good (403: no retries to wait for).
			if err := srv.Proxy.SetFaults(s3test.Faults{Seed: 3, FailGET: 0.5, FailLIST: 0.5, CutGETFraction: 0.5, CutAfterBytes: 1000}); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("ls", "-lR", dir).CombinedOutput(); err != nil {
				t.Errorf("ls -lR: %v\n%s", err, out)
			}
			if out, err := exec.Command("cat", filepath.Join(dir, "a/one.txt"), filepath.Join(dir, "b.bin")).CombinedOutput(); err != nil {
				t.Errorf("cat: %v\n%s", err, out)
			}
			if err := srv.Proxy.SetFaults(s3test.Faults{FailGET: 1, Status: 403, Code: "AccessDenied"}); err != nil {
				t.Fatal(err)
			}
			if err := exec.Command("cat", filepath.Join(dir, "a/two.txt")).Run(); err == nil {
				t.Errorf("cat with every GET failing succeeded")
			}
			stop(t, cmd, dir, syscall.SIGTERM)
			logs := stderr.String()
			if strings.Contains(logs, srv.SecretKey) {
				t.Errorf("the output holds the secret:\n%s", logs)
			}
			for _, want := range []string{"level=DEBUG", "retrying", "read failed"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the debug log lacks %q, so the scan proves little:\n%s", want, logs)
				}
			}
			warned := strings.Contains(stderr.String(), "readable by every user; chmod 600 it")
			if want := name == "env file"; warned != want {
				t.Errorf("warning about a world-readable .env: %v, want %v\n%s", warned, want, stderr.String())
			}
		})
	}
}

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
		cmd, _ := startMount(t, serverEnv(t, srv), "--allow-other", "--uid", "0", "--gid", "0", "--file-mode", tc.mode, bucket, dir)
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
		stop(t, cmd, dir, syscall.SIGTERM)
	}
}
