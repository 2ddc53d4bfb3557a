package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

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
// b2mount exits 0, the mount point is released (lazily, since files are
// open), and the readers get an error instead of hanging: a cat, and a
// file this test holds open. The timeouts are an hour, so b2mount must
// not wait for them: only a hang crosses the test's bounds.
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
			p := startMount(t, serverEnv(t, srv), "--timeout", "1h", "--operation-timeout", "1h", bucket, dir)

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
			p.stop(t, tc.sig) // exit 0, mount point gone
			t.Logf("b2mount exited %s after %v", time.Since(start).Round(time.Millisecond), tc.sig)
			if !strings.Contains(p.stderr.String(), "detaching it lazily") {
				t.Errorf("no lazy unmount logged for a busy mount point:\n%s", p.stderr.String())
			}
			select {
			case err := <-catDone:
				if err == nil {
					t.Errorf("cat of a file whose read was cut off by the exit succeeded")
				}
				t.Logf("cat: %v: %s", err, strings.TrimSpace(catErr.String()))
			case <-time.After(hangWait):
				cat.Process.Kill()
				t.Fatalf("cat still hangs %v after b2mount exited", hangWait)
			}
			select {
			case err := <-heldErr:
				if err == nil {
					t.Errorf("the in-flight read of the held file succeeded")
				}
			case <-time.After(hangWait):
				t.Fatalf("the in-flight read of the held file still hangs %v after b2mount exited", hangWait)
			}
			if _, err := held.ReadAt(head, 1<<20); err == nil {
				t.Errorf("a read after b2mount exited succeeded")
			}
		})
	}
}

// Closing the terminal or an ssh session sends SIGHUP: b2mount unmounts
// and exits 0, as for Ctrl-C, instead of dying and leaving a dead mount.
func TestSIGHUPUnmountsCleanly(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	if err := srv.CreateBucket("hup"); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutObject("hup", "f.txt", []byte("still here")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := startMount(t, serverEnv(t, srv), "hup", dir)
	if data, err := os.ReadFile(filepath.Join(dir, "f.txt")); err != nil || string(data) != "still here" {
		t.Fatalf("read: %q, %v", data, err)
	}
	p.stop(t, syscall.SIGHUP)
}

// b2mount ... 2>&1 | head -1: once the reader of its output is gone, a
// log line must not kill the mount (SIGPIPE). The mount goes on working
// and exits 0 on SIGTERM.
func TestBrokenOutputPipeDoesNotKillTheMount(t *testing.T) {
	testenv.RequireFUSE(t)
	srv := testenv.StartServer(t, s3test.KindEmbedded)
	const bucket = "pipe"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"denied.txt", "fine.txt"} {
		if err := srv.PutObject(bucket, k, []byte("bytes of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := newMountProc(serverEnv(t, srv), bucket, dir)
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.start(t)
	w.Close()
	lines := bufio.NewReader(r) // "head": read up to the ready line, then go
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("b2mount's output ended before its ready line: %v", err)
		}
		if strings.Contains(line, "mounted read-only at") {
			break
		}
	}
	r.Close()

	// A read the server refuses is logged as a warning: a write to the
	// broken pipe.
	if err := srv.Proxy.SetFaults(s3test.Faults{FailGET: 1, Status: 403, Code: "AccessDenied"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(filepath.Join(dir, "denied.txt")); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("read with every GET denied: %v, want EACCES", err)
	}
	if err := srv.Proxy.SetFaults(s3test.Faults{}); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "fine.txt")); err != nil || string(data) != "bytes of fine.txt" {
		t.Errorf("read after the log pipe broke: %q, %v", data, err)
	}
	p.stop(t, syscall.SIGTERM)
}
