package fs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/testenv"
)

// What users do with a read-write mount, with the programs they do it
// with, on both servers; every result is checked on the server itself.
func TestWriteProgramsThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			b.put("notes.txt", []byte("one\n"))
			b.put("docs/a.txt", []byte("alpha\nbeta\n"))
			base := make([]byte, 12<<20+100) // an edit in place of three parts
			for i := range base {
				base[i] = byte(i % 251)
			}
			b.put("edit.bin", base)
			b.put("over.txt", base[:20000])
			b.put("cpover.bin", base[:300000])
			src := t.TempDir()
			randomFile(t, filepath.Join(src, "small.txt"), 3000, 10)
			smallTree(t, filepath.Join(src, "tree"), 12)
			mnt := b.mount(mountSpec{})

			t.Run("cp", func(t *testing.T) {
				b := b.on(t)
				shIn(t, mnt, `cp "$1"/small.txt small.txt && cp -r "$1"/tree tree && diff -r "$1"/tree tree`, src)
				b.sameAs("small.txt", filepath.Join(src, "small.txt"))
				b.sameTree("tree/", filepath.Join(src, "tree"))
			})
			t.Run("edits", func(t *testing.T) {
				b := b.on(t)
				shIn(t, mnt, `echo two >> notes.txt
sed -i 's/alpha/ALPHA/' docs/a.txt
printf XYZ | dd of=edit.bin bs=1 seek=7000000 conv=notrunc 2>/dev/null
sync notes.txt docs . # fsync of files read and of folders: nothing to upload
printf 'short\n' > over.txt
cp "$1"/small.txt cpover.bin`, src)
				b.holds("notes.txt", []byte("one\ntwo\n"))
				b.holds("docs/a.txt", []byte("ALPHA\nbeta\n"))
				want := slices.Clone(base)
				copy(want[7000000:], "XYZ")
				b.holds("edit.bin", want)
				b.holds("over.txt", []byte("short\n")) // O_TRUNC of what was there
				b.sameAs("cpover.bin", filepath.Join(src, "small.txt"))
				if got := b.keys("docs/"); !slices.Equal(got, []string{"docs/a.txt"}) {
					t.Errorf("after sed -i, docs/ holds %q (a temporary file left?)", got)
				}
				if got, err := os.ReadFile(filepath.Join(mnt, "notes.txt")); err != nil || string(got) != "one\ntwo\n" {
					t.Errorf("notes.txt read back: %q, %v", got, err)
				}
			})
			t.Run("mv and rm", func(t *testing.T) {
				b := b.on(t)
				shIn(t, mnt, `cp -r "$1"/tree doomed && mv small.txt moved.txt && mv tree tree2 && rm -r doomed`, src)
				b.absent("small.txt")
				b.sameAs("moved.txt", filepath.Join(src, "small.txt"))
				if got := b.keys("tree/"); len(got) != 0 {
					t.Errorf("after mv tree tree2, tree/ still holds %q", got)
				}
				b.sameTree("tree2/", filepath.Join(src, "tree"))
				if got := b.keys("doomed/"); len(got) != 0 {
					t.Errorf("after rm -r doomed, the server still holds %q", got)
				}
				if out := shIn(t, mnt, "ls"); strings.Contains(out, "doomed") || !strings.Contains(out, "tree2") {
					t.Errorf("ls after mv and rm -r:\n%s", out)
				}
			})
			t.Run("mkdir and rmdir", func(t *testing.T) {
				b := b.on(t)
				shIn(t, mnt, "mkdir -p a/b/c a/gone empty && rmdir a/b/c a/gone")
				res := runLimited(t, hangLimit, "rmdir", filepath.Join(mnt, "a"))
				if res.code == 0 || !strings.Contains(res.out, "not empty") {
					t.Errorf("rmdir of a non-empty folder: exit %d, %q; want ENOTEMPTY", res.code, res.out)
				}
				// A new mount (its own caches) sees the empty folders: the one
				// mkdir made, and a/b, emptied by rmdir.
				again := b.mount(mountSpec{})
				if out := shIn(t, again, "ls -R a empty"); out != "a:\nb\n\na/b:\n\nempty:\n" {
					t.Errorf("ls -R a empty on a new mount:\n%s", out)
				}
				shIn(t, again, "rmdir a/b a empty")
				if got := b.keys("a/"); len(got) != 0 {
					t.Errorf("after rmdir a/b a, the server holds %q", got)
				}
			})
			t.Run("tar x as root", func(t *testing.T) {
				b := b.on(t)
				testenv.Require(t, os.Getuid() == 0, "tar x keeps owners only as root")
				archive := filepath.Join(t.TempDir(), "tree.tar")
				if res := runLimited(t, hangLimit, "tar", "cf", archive, "-C", src, "tree"); res.code != 0 {
					t.Fatalf("tar c: %s", res.out)
				}
				shIn(t, mnt, `mkdir untar && tar xf "$1" -C untar`, archive)
				b.sameTree("untar/tree/", filepath.Join(src, "tree"))
				fi, err := os.Stat(filepath.Join(src, "tree", "f00.txt"))
				if err != nil {
					t.Fatal(err)
				}
				// A tar archive (GNU format) keeps whole seconds.
				want := fi.ModTime().Truncate(time.Second)
				if got, err := os.Stat(filepath.Join(mnt, "untar/tree/f00.txt")); err != nil || !got.ModTime().Equal(want) {
					t.Errorf("tar x kept no time: %v, %v; want %v", got.ModTime(), err, want)
				}
			})
			t.Run("cp -p", func(t *testing.T) {
				b := b.on(t)
				big := filepath.Join(src, "big.bin")
				randomFile(t, big, 12<<20, 11)
				mt := time.Date(2019, 8, 7, 6, 5, 4, 321_987_654, time.UTC)
				for _, f := range []string{big, filepath.Join(src, "small.txt")} {
					if err := os.Chtimes(f, mt, mt); err != nil {
						t.Fatal(err)
					}
				}
				shIn(t, mnt, `cp -p "$1"/small.txt kept.txt && cp -p "$1"/big.bin kept.bin`, src)
				for key, local := range map[string]string{"kept.txt": "small.txt", "kept.bin": "big.bin"} {
					b.sameAs(key, filepath.Join(src, local))
					obj, err := b.direct.Stat(context.Background(), key)
					if err != nil {
						t.Fatal(err)
					}
					if want := mt.Truncate(time.Millisecond); !obj.MTime.Equal(want) {
						t.Errorf("%s: src_last_modified_millis %v, want %v", key, obj.MTime, want)
					}
					if fi, err := os.Stat(filepath.Join(mnt, key)); err != nil || !fi.ModTime().Equal(mt) {
						t.Errorf("%s: mtime on the mount %v (%v), want %v", key, fi.ModTime(), err, mt)
					}
				}
			})
			b.noUploads()
			if got, err := os.ReadFile(filepath.Join(mnt, "moved.txt")); err != nil || !bytes.Equal(got, mustRead(t, filepath.Join(src, "small.txt"))) {
				t.Errorf("moved.txt read back through the mount: %v", err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
