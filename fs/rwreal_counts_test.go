package fs_test

import (
	"path/filepath"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// What writes cost, counted at the server: a small new file is one PUT and
// nothing else (no HEAD after it, no LIST per create), in a folder listed
// before and in a folder just made; cp -r of N small files into a new
// folder is N PUTs and one PUT per folder for its placeholder; a file of
// more than two parts is one multipart upload. The mount's caches answer
// every lookup: the parent folders were listed (or made) first.
func TestWriteRequestCountsThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			b.put("photos/old.jpg", []byte("old"))
			src := t.TempDir()
			randomFile(t, filepath.Join(src, "small.jpg"), 200<<10, 1)
			randomFile(t, filepath.Join(src, "big.bin"), 12<<20+4321, 2) // parts of 5, 5 and 2 MiB
			tree := filepath.Join(src, "tree")
			smallTree(t, tree, 15) // 10 files at the top, 5 in sub/
			mnt := b.mount(mountSpec{})
			shIn(t, mnt, "ls . photos >/dev/null")

			b.srv.Proxy.ResetCounts()
			shIn(t, mnt, `cp "$1"/small.jpg photos/new.jpg`, src)
			b.expect("cp of a small file into a listed folder", map[string]int{s3test.OpPut: 1})
			b.sameAs("photos/new.jpg", filepath.Join(src, "small.jpg"))

			b.srv.Proxy.ResetCounts()
			shIn(t, mnt, "mkdir made")
			b.expect("mkdir", map[string]int{s3test.OpPut: 1})
			b.srv.Proxy.ResetCounts()
			shIn(t, mnt, `cp "$1"/small.jpg made/new.jpg`, src)
			b.expect("cp of a small file into a folder just made", map[string]int{s3test.OpPut: 1})
			b.sameAs("made/new.jpg", filepath.Join(src, "small.jpg"))

			b.srv.Proxy.ResetCounts()
			shIn(t, mnt, `cp -r "$1"/tree copied`, src)
			// 15 files, and the placeholders of copied/ and copied/sub/.
			b.expect("cp -r of 15 small files in two folders", map[string]int{s3test.OpPut: 15 + 2})
			b.sameTree("copied/", tree)
			if got := b.keys("copied/"); len(got) != 17 {
				t.Errorf("cp -r left %d keys, want the 15 files and 2 placeholders: %q", len(got), got)
			}

			b.srv.Proxy.ResetCounts()
			shIn(t, mnt, `cp "$1"/big.bin big.bin`, src)
			b.expect("cp of 12 MiB", map[string]int{s3test.OpCreateUpload: 1, s3test.OpUploadPart: 3, s3test.OpCompleteUpload: 1})
			b.sameAs("big.bin", filepath.Join(src, "big.bin"))
			b.noUploads()
		})
	}
}
