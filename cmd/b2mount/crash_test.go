package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
	"github.com/b2mount/b2mount/s3backend"
)

// startRWMount runs b2mount with args and waits for its read-write ready
// line.
func startRWMount(t *testing.T, environ []string, args ...string) *mountProc {
	t.Helper()
	p := newMountProc(environ, args...)
	p.start(t)
	waitFor(t, "the ready line", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("b2mount exited before mounting (%v); stdout %q, stderr:\n%s", p.waitErr, p.stdout, p.stderr)
		default:
		}
		return strings.Contains(p.stdout.String(), "mounted read-write at")
	})
	return p
}

// uploadIDs are the ids of the unfinished uploads the server lists.
func uploadIDs(t *testing.T, c *s3backend.Client) map[string]string {
	t.Helper()
	ups, err := c.ListUploads(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, up := range ups {
		ids[up.ID] = up.Key
	}
	return ids
}

// b2mount killed (SIGKILL) while cp streams a large file into it: no
// object appears under the name, the multipart upload it started stays
// on the server (B2 would bill it), and the next b2mount with the same
// --state-dir aborts exactly that upload when it starts (one ABORT),
// leaving another client's unfinished upload alone.
func TestKilledMountLeavesNoObjectAndTheNextAbortsItsUpload(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindVersity)
	const bucket = "crash"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	direct, err := s3backend.New(ctx, s3backend.Config{
		Endpoint: srv.BackendURL, Region: srv.Region, Bucket: bucket, KeyID: srv.KeyID, SecretKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	other, err := direct.CreateUpload(ctx, "other/upload.bin", s3backend.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	state, dir := t.TempDir(), t.TempDir()
	p := startRWMount(t, serverEnv(t, srv), "--read-write", "--state-dir", state, bucket, dir)

	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cp := exec.Command("cp", fifo, filepath.Join(dir, "big.bin"))
	var cpOut strings.Builder
	cp.Stdout, cp.Stderr = &cpOut, &cpOut
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	cpDone := make(chan error, 1)
	go func() { cpDone <- cp.Wait() }()
	t.Cleanup(func() { cp.Process.Kill(); <-cpDone })
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	chunk := make([]byte, 1<<20)
	for range 16 { // part 2 sealed and sent; part 1 and the tail held
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a part of big.bin on the server", func() bool {
		for _, r := range srv.Proxy.Requests() {
			if r.Op == s3test.OpUploadPart && strings.HasSuffix(r.Path, "/big.bin") && r.Status == 200 {
				return true
			}
		}
		return false
	})

	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	w.Close() // cp reads the end of its input, and fails to write or close it
	select {
	case err := <-cpDone:
		cpDone <- err
		if err == nil {
			t.Errorf("cp exited 0 though the mount died under it: %s", cpOut.String())
		}
	case <-time.After(hangWait):
		t.Fatal("cp hangs on a mount whose process was killed")
	}

	if _, err := direct.Stat(ctx, "big.bin"); !errors.Is(err, s3backend.ErrNotExist) {
		t.Errorf("stat big.bin after the mount was killed: %v, want no such key", err)
	}
	ids := uploadIDs(t, direct)
	var ours string
	for id, key := range ids {
		if key == "big.bin" {
			ours = id
		}
	}
	if len(ids) != 2 || ours == "" || ids[other.ID] != "other/upload.bin" {
		t.Fatalf("unfinished uploads after the kill: %v; want big.bin's and the other client's", ids)
	}

	if out, err := exec.Command("fusermount3", "-u", "-z", dir).CombinedOutput(); err != nil {
		t.Fatalf("fusermount3 -u -z: %v: %s", err, out)
	}
	srv.Proxy.ResetCounts()
	again := startRWMount(t, serverEnv(t, srv), "--read-write", "--state-dir", state, bucket, dir)
	if c := srv.Proxy.Counts(); c[s3test.OpListUploads] != 1 || c[s3test.OpAbortUpload] != 1 {
		t.Errorf("the next mount sent %v at start; want one LISTUPLOADS and one ABORT", c)
	}
	for _, op := range s3test.WriteOps() {
		if n := srv.Proxy.Counts()[op]; op != s3test.OpAbortUpload && n != 0 {
			t.Errorf("the next mount sent %d %s at start", n, op)
		}
	}
	for _, r := range srv.Proxy.Requests() {
		if r.Op == s3test.OpAbortUpload && !strings.Contains(r.Query, "uploadId="+ours) {
			t.Errorf("the next mount aborted %s?%s, not the dead mount's upload %s", r.Path, r.Query, ours)
		}
	}
	if ids := uploadIDs(t, direct); len(ids) != 1 || ids[other.ID] != "other/upload.bin" {
		t.Errorf("unfinished uploads after the next mount started: %v; want the other client's alone", ids)
	}
	if _, err := os.Stat(filepath.Join(dir, "big.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("big.bin on the next mount: %v, want no such file", err)
	}
	again.stop(t, syscall.SIGTERM)
	if err := direct.AbortUpload(ctx, other); err != nil {
		t.Error(err)
	}
}
