package fs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

const sampleDir = "../testdata/developer-b2-quick-start"

// mountBucket mounts bucket[:prefix] of srv through its proxy with the
// default options, as the CLI does.
func mountBucket(t *testing.T, srv *s3test.Server, bucket, prefix string) string {
	t.Helper()
	return mountWith(t, srv, mountSpec{bucket: bucket, prefix: prefix})
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// noWrites fails the test if the server saw any request that could change
// the bucket.
func noWrites(t *testing.T, srv *s3test.Server) {
	t.Helper()
	c := srv.Proxy.Counts()
	for _, op := range s3test.WriteOps() {
		if c[op] != 0 {
			t.Errorf("%d %s requests reached the server", c[op], op)
		}
	}
}

func TestSampleBucketThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			srv := testenv.StartServer(t, kind)
			const bucket = "developer-b2-quick-start"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			if err := srv.LoadDir(bucket, sampleDir); err != nil {
				t.Fatal(err)
			}
			mnt := mountBucket(t, srv, bucket, "")
			srv.Proxy.ResetCounts()

			got := strings.Fields(run(t, "ls", mnt))
			want := []string{"album", "beach.jpg", "bobcat.jpg", "coconuts.jpg", "lake.jpg", "sunset.jpg"}
			if !slices.Equal(got, want) {
				t.Errorf("ls = %v, want %v", got, want)
			}
			fi, err := os.Stat(filepath.Join(sampleDir, "beach.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := run(t, "stat", "-c", "%s %a %F", filepath.Join(mnt, "beach.jpg")), fmt.Sprintf("%d 444 regular file\n", fi.Size()); got != want {
				t.Errorf("stat beach.jpg = %q, want %q", got, want)
			}
			html, _ := os.ReadFile(filepath.Join(sampleDir, "album/photos.html"))
			if got := run(t, "cat", filepath.Join(mnt, "album/photos.html")); got != string(html) {
				t.Errorf("cat photos.html differs from testdata")
			}
			dst := filepath.Join(t.TempDir(), "copy")
			run(t, "cp", "-r", mnt, dst)
			run(t, "diff", "-r", sampleDir, dst)

			// Every file was read with exactly one GET. The listings of the
			// root (ls) and of album/ (cp -r) gave every attribute; the third
			// LIST is the lookup of album/photos.html by cat before album/ was
			// listed (one page from just below the name), and no HEAD.
			c := srv.Proxy.Counts()
			if c[s3test.OpGet] != 8 || c[s3test.OpHead] != 0 || c[s3test.OpList] != 3 || len(c) != 2 {
				t.Errorf("requests for ls, stat, cat and cp -r of 8 files: %v; want 8 GET, 3 LIST", c)
				for _, r := range srv.Proxy.Requests() {
					t.Logf("%s %s?%s range=%s", r.Op, r.Path, r.Query, r.Range)
				}
			}
			for _, r := range srv.Proxy.Requests() {
				if r.Op == s3test.OpGet && r.IfMatch == "" {
					t.Errorf("GET %s without If-Match", r.Path)
				}
			}
			noWrites(t, srv)
		})
	}
}

func TestListingCostAndWritesThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			srv, bucket := startWithBigFolder(t, kind)
			if err := srv.PutObject(bucket, "photos/2024/a.jpg", []byte("a")); err != nil {
				t.Fatal(err)
			}
			mnt := mountBucket(t, srv, bucket, "")
			if _, err := os.Stat(filepath.Join(mnt, "big")); err != nil {
				t.Fatal(err)
			}
			srv.Proxy.ResetCounts()
			out := run(t, "ls", "-l", filepath.Join(mnt, "big"))
			if n := strings.Count(out, ".jpg\n"); n != 2500 {
				t.Errorf("ls -l shows %d files, want 2500", n)
			}
			if c := srv.Proxy.Counts(); c[s3test.OpList] != 3 || c[s3test.OpHead] != 0 || c[s3test.OpGet] != 0 {
				t.Errorf("ls -l of 2,500 entries sent %v; want 3 LIST, 0 HEAD", c)
			}

			f := filepath.Join(mnt, "big/img0001.jpg")
			for name, op := range map[string]func() error{
				"create":   func() error { _, err := os.Create(filepath.Join(mnt, "big/new.jpg")); return err },
				"write":    func() error { return os.WriteFile(f, []byte("x"), 0o644) },
				"mkdir":    func() error { return os.Mkdir(filepath.Join(mnt, "newdir"), 0o755) },
				"remove":   func() error { return os.Remove(f) },
				"rmdir":    func() error { return syscall.Rmdir(filepath.Join(mnt, "photos/2024")) },
				"rename":   func() error { return os.Rename(f, f+".bak") },
				"chmod":    func() error { return os.Chmod(f, 0o600) },
				"truncate": func() error { return os.Truncate(f, 0) },
				"symlink":  func() error { return os.Symlink(f, filepath.Join(mnt, "big/l")) },
			} {
				if err := op(); !errors.Is(err, syscall.EROFS) {
					t.Errorf("%s: %v, want EROFS", name, err)
				}
			}
			noWrites(t, srv)

			pm := mountBucket(t, srv, bucket, "photos/")
			if got := strings.Fields(run(t, "ls", pm)); !slices.Equal(got, []string{"2024"}) {
				t.Errorf("prefix mount ls = %v, want [2024]", got)
			}
			if got := run(t, "cat", filepath.Join(pm, "2024/a.jpg")); got != "a" {
				t.Errorf("prefix mount cat = %q", got)
			}
		})
	}
}

func TestObjectReplacedDuringReadGivesEIO(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			srv := testenv.StartServer(t, kind)
			const bucket = "work"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			old := bytes.Repeat([]byte("old version\n"), 2<<20) // 24 MiB
			if err := srv.PutObject(bucket, "f.bin", old); err != nil {
				t.Fatal(err)
			}
			mnt := mountBucket(t, srv, bucket, "")
			fh, err := os.Open(filepath.Join(mnt, "f.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			buf := make([]byte, 64<<10)
			if _, err := io.ReadFull(fh, buf); err != nil || !bytes.Equal(buf, old[:len(buf)]) {
				t.Fatalf("first read: %v", err)
			}
			if err := srv.PutObject(bucket, "f.bin", bytes.Repeat([]byte("NEW VERSION\n"), 2<<20)); err != nil {
				t.Fatal(err)
			}
			n, err := fh.ReadAt(buf, 20<<20)
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("read after replace: %d bytes, err %v; want EIO", n, err)
			}
			if bytes.Contains(buf[:n], []byte("NEW")) {
				t.Fatalf("read returned bytes of the new version")
			}
		})
	}
}

// startWithBigFolder starts a server of kind with a bucket whose folder
// big/ holds 2,500 one-byte files, img0000.jpg to img2499.jpg (three
// pages of a listing).
func startWithBigFolder(t *testing.T, kind string) (*s3test.Server, string) {
	t.Helper()
	srv := testenv.StartServer(t, kind)
	const bucket = "work"
	if err := srv.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	for i := range 2500 {
		if err := srv.PutObject(bucket, fmt.Sprintf("big/img%04d.jpg", i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, bucket
}
