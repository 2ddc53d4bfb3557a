package fs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// Eight cp at once, each of a distinct file of three parts: more than
// the memory budget holds at once (64 MiB), and every file byte-exact.
func TestEightWritersAtOnceThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			src := t.TempDir()
			for i := range 8 {
				randomFile(t, filepath.Join(src, fmt.Sprintf("f%d.bin", i)), 10<<20+int64(i+1)*65537, uint64(30+i)) // 3 parts
			}
			mnt := b.mount(mountSpec{})
			shIn(t, mnt, "mkdir eight")
			var wg sync.WaitGroup
			results := make([]cmdResult, 8)
			for i := range 8 {
				wg.Go(func() {
					name := fmt.Sprintf("f%d.bin", i)
					results[i] = runLimited(t, hangLimit, "cp", filepath.Join(src, name), filepath.Join(mnt, "eight", name))
				})
			}
			wg.Wait()
			for i, res := range results {
				if res.code != 0 {
					t.Errorf("cp %d: exit %d: %s", i, res.code, res.out)
				}
				name := fmt.Sprintf("f%d.bin", i)
				b.sameAs("eight/"+name, filepath.Join(src, name))
			}
			b.noUploads()
		})
	}
}

// Two writers of one file: each close uploads that writer's whole
// content, so the object is always one writer's, the last to close; and
// the mount reads back what the bucket holds.
func TestTwoWritersOfOneFileThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			mnt := b.mount(mountSpec{})
			path := filepath.Join(mnt, "shared.bin")
			for round, sizes := range [][2]int{{6 << 20, 3 << 20}, {12 << 20, 2 << 20}} {
				a, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				c, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				da := bytes.Repeat([]byte{'A'}, sizes[0])
				dc := bytes.Repeat([]byte{'c'}, sizes[1])
				// Interleaved, 1 MiB each in turn.
				for off := 0; off < max(len(da), len(dc)); off += 1 << 20 {
					for _, w := range []struct {
						f *os.File
						d []byte
					}{{a, da}, {c, dc}} {
						if off < len(w.d) {
							if _, err := w.f.WriteAt(w.d[off:min(off+1<<20, len(w.d))], int64(off)); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
				first, last, want := a, c, dc
				if round == 1 {
					first, last, want = c, a, da
				}
				if err := first.Close(); err != nil {
					t.Fatal(err)
				}
				if err := last.Close(); err != nil {
					t.Fatal(err)
				}
				b.holds("shared.bin", want)
				if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
					t.Errorf("round %d: the mount reads back %d bytes (%v), not the last writer's %d", round, len(got), err, len(want))
				}
			}
			b.noUploads()
		})
	}
}

// A 300 MiB cp: one multipart upload of 60 parts of 5 MiB, byte-exact.
// On versitygw only: the embedded server keeps every byte in the test's
// memory, twice while it assembles the parts.
func TestCopy300MiBThroughVersity(t *testing.T) {
	b := newRWBucket(t, s3test.KindVersity)
	src := filepath.Join(t.TempDir(), "big.bin")
	const size = 300 << 20
	randomFile(t, src, size, 99)
	mnt := b.mount(mountSpec{})
	shIn(t, mnt, "ls >/dev/null")
	b.srv.Proxy.ResetCounts()
	shIn(t, mnt, `cp "$1" big.bin`, src)
	b.expect("cp of 300 MiB", map[string]int{s3test.OpCreateUpload: 1, s3test.OpUploadPart: 60, s3test.OpCompleteUpload: 1})
	if got, want := b.hash("big.bin"), fileHash(t, src); got != want {
		t.Errorf("the server holds big.bin with sha256 %s, want %s", got, want)
	}
	b.noUploads()
}

// hash is the sha256 of what the server holds as key.
func (b *rwBucket) hash(key string) string {
	b.t.Helper()
	r, err := b.direct.OpenRange(context.Background(), key, "", 0, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
