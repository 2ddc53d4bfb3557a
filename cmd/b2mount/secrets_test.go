package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

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
	out := failure(t, 1, environ, `the key may not list bucket "photos" (it needs listFiles and readFiles)`, "photos", t.TempDir())
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
	for name, start := range map[string]func(dir string) *mountProc{
		"environment": func(dir string) *mountProc {
			return startMount(t, serverEnv(t, srv), "--debug", "--retries", "20", bucket, dir)
		},
		"env file": func(dir string) *mountProc {
			return startMount(t, bare, "--debug", "--retries", "20", "--env-file", envFile, bucket, dir)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := srv.Proxy.SetFaults(s3test.Faults{}); err != nil {
				t.Fatal(err)
			}
			p := start(dir)
			if cmdline := procCmdline(t, p.cmd.Process.Pid); strings.Contains(cmdline, srv.SecretKey) {
				t.Errorf("/proc/%d/cmdline holds the secret: %s", p.cmd.Process.Pid, cmdline)
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
			p.stop(t, syscall.SIGTERM)
			logs := p.stderr.String()
			if strings.Contains(logs, srv.SecretKey) {
				t.Errorf("the output holds the secret:\n%s", logs)
			}
			for _, want := range []string{"level=DEBUG", "retrying", "read failed"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the debug log lacks %q, so the scan proves little:\n%s", want, logs)
				}
			}
			warned := strings.Contains(p.stderr.String(), "readable by every user; chmod 600 it")
			if want := name == "env file"; warned != want {
				t.Errorf("warning about a world-readable .env: %v, want %v\n%s", warned, want, p.stderr.String())
			}
		})
	}
}
