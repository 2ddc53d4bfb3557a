package fs_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// expectCounts fails t unless the server saw exactly want since the last
// reset, and logs the requests it saw if not.
func expectCounts(t *testing.T, srv *s3test.Server, what string, want map[string]int) {
	t.Helper()
	got := srv.Proxy.Counts()
	same := len(got) == len(want)
	for op, n := range want {
		same = same && got[op] == n
	}
	if !same {
		t.Errorf("%s sent %v, want %v", what, got, want)
		for _, r := range srv.Proxy.Requests() {
			t.Logf("%s %s?%s", r.Op, r.Path, r.Query)
		}
	}
}

// Cold lookups on a fresh mount, with no ls first: cat of the five sample
// photos is one LIST (a page from just below the first name, which holds
// the others) and five GETs; in another order, each name before the
// remembered pages costs its own LIST; a missing name is one LIST, and a
// second missing name the same page covers costs nothing.
func TestColdLookupsThroughRealServers(t *testing.T) {
	photos := []string{"beach.jpg", "bobcat.jpg", "coconuts.jpg", "lake.jpg", "sunset.jpg"}
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
			var args []string
			var want string
			for _, p := range photos {
				args = append(args, filepath.Join(mnt, p))
				data, err := os.ReadFile(filepath.Join(sampleDir, p))
				if err != nil {
					t.Fatal(err)
				}
				want += string(data)
			}
			if got := run(t, "cat", args...); got != want {
				t.Errorf("cat of the five photos differs from testdata")
			}
			expectCounts(t, srv, "cold cat of the five photos", map[string]int{s3test.OpList: 1, s3test.OpGet: 5})

			mnt = mountBucket(t, srv, bucket, "")
			srv.Proxy.ResetCounts()
			run(t, "cat", filepath.Join(mnt, "sunset.jpg"), filepath.Join(mnt, "beach.jpg"))
			expectCounts(t, srv, "cold cat sunset.jpg beach.jpg", map[string]int{s3test.OpList: 2, s3test.OpGet: 2})

			mnt = mountBucket(t, srv, bucket, "")
			srv.Proxy.ResetCounts()
			for _, name := range []string{"cat.jpg", "cat.jpg", "dog.jpg", "album/nope.html"} {
				if _, err := os.Stat(filepath.Join(mnt, name)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("stat %s: %v, want ENOENT", name, err)
				}
			}
			// cat.jpg: one page from "cat.jp" to the folder's end, which
			// answers cat.jpg again and dog.jpg; album sorts before that
			// page: one page from "albu"; album/nope.html: one page of
			// album/ from "album/nope.htm".
			expectCounts(t, srv, "stats of missing names", map[string]int{s3test.OpList: 3})
			noWrites(t, srv)
		})
	}
}

// A stat of one file deep in a 2,500-file folder, straight after
// mounting, is one LIST of the parent (the folder's name) and one LIST of
// the folder that starts just below the file's name (the server honours
// StartAfter, or the page would not reach it); ls -l then lists the folder
// in three pages, and no HEAD is ever sent.
func TestLookupInABigFolderThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			srv, bucket := startWithBigFolder(t, kind)
			mnt := mountBucket(t, srv, bucket, "")
			srv.Proxy.ResetCounts()
			if info, err := os.Stat(filepath.Join(mnt, "big/img2400.jpg")); err != nil || info.Size() != 1 {
				t.Fatalf("stat: %v, %v", info, err)
			}
			if info, err := os.Stat(filepath.Join(mnt, "big/img2499.jpg")); err != nil || info.Size() != 1 {
				t.Fatalf("stat: %v, %v", info, err)
			}
			expectCounts(t, srv, "stats of two files in a 2,500-file folder", map[string]int{s3test.OpList: 2})
			if _, err := os.Stat(filepath.Join(mnt, "big/img2400.png")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stat of a missing name: %v", err)
			}
			expectCounts(t, srv, "and of a missing name the page covers", map[string]int{s3test.OpList: 2})

			srv.Proxy.ResetCounts()
			run(t, "ls", "-l", filepath.Join(mnt, "big"))
			expectCounts(t, srv, "ls -l of 2,500 files", map[string]int{s3test.OpList: 3})
		})
	}
}
