package fs_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
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

// versionSize is large enough that a reader 1 MiB in has not had the rest
// prefetched yet (the window starts at 1 MiB and doubles).
const versionSize = 24 << 20

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0] = byte(seed)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// replaceAfter collects what a reader copies and calls replace once the
// first limit bytes have arrived.
type replaceAfter struct {
	limit   int
	replace func()
	done    bool
	got     bytes.Buffer
}

func (w *replaceAfter) Write(p []byte) (int, error) {
	w.got.Write(p)
	if !w.done && w.got.Len() >= w.limit {
		w.done = true
		w.replace()
	}
	return len(p), nil
}

// checkPrefix fails unless got is a prefix of old: not a byte of another
// version, nothing past the end.
func checkPrefix(t *testing.T, what string, got, old []byte) {
	t.Helper()
	if len(got) > len(old) || !bytes.Equal(got, old[:len(got)]) {
		i := 0
		for i < len(got) && i < len(old) && got[i] == old[i] {
			i++
		}
		t.Errorf("%s: %d bytes that differ from the old version at offset %d", what, len(got), i)
	}
}

// A file replaced while a reader streams it: the reader gets a prefix of
// the old version and then EIO, never a byte of the new version; once the
// listing is older than the TTL, a new open reads the new version whole.
// Once with io.Copy in this process, once with cat through a pipe.
func TestReplacedWhileStreamingNeverMixesVersions(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := testenv.StartServer(t, kind)
			const bucket = "replace"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			oldF, newF := randomBytes(versionSize, 1), randomBytes(versionSize, 2)
			oldG, newG := randomBytes(versionSize, 3), randomBytes(versionSize, 4)
			put := func(key string, data []byte) {
				t.Helper()
				if err := srv.PutObject(bucket, key, data); err != nil {
					t.Fatal(err)
				}
			}
			put("f.bin", oldF)
			put("g.bin", oldG)
			clock := testenv.NewClock()
			opt := fs.DefaultOptions()
			opt.Clock = clock.Now
			mnt := mountWith(t, srv, mountSpec{bucket: bucket, opt: &opt, noKernelCache: true})

			// io.Copy, replaced after the first MiB arrived.
			f, err := os.Open(filepath.Join(mnt, "f.bin"))
			if err != nil {
				t.Fatal(err)
			}
			w := &replaceAfter{limit: 1 << 20, replace: func() { put("f.bin", newF) }}
			_, err = io.Copy(w, f)
			f.Close()
			checkPrefix(t, "io.Copy", w.got.Bytes(), oldF)
			if !errors.Is(err, syscall.EIO) {
				t.Errorf("io.Copy of a replaced file: %d bytes, err %v; want EIO", w.got.Len(), err)
			}

			// cat into a pipe read by the test, replaced after the first MiB.
			cmd := exec.Command("cat", filepath.Join(mnt, "g.bin"))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			first := make([]byte, 1<<20)
			if _, err := io.ReadFull(out, first); err != nil {
				t.Fatal(err)
			}
			put("g.bin", newG)
			rest, _ := io.ReadAll(out)
			err = cmd.Wait()
			checkPrefix(t, "cat", append(first, rest...), oldG)
			if err == nil || !strings.Contains(stderr.String(), "Input/output error") {
				t.Errorf("cat of a replaced file: %v, stderr %q; want an I/O error", err, stderr.String())
			}

			// Before the TTL the mount keeps the version it listed; after
			// it, a new open gets the new version whole.
			clock.Advance(opt.MetadataTTL + time.Second)
			for name, want := range map[string][]byte{"f.bin": newF, "g.bin": newG} {
				got, err := os.ReadFile(filepath.Join(mnt, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s after the TTL: %d bytes, %v; new version whole: %v", name, len(got), err, bytes.Equal(got, want))
				}
			}
			var gets []s3test.Request
			for _, r := range srv.Proxy.Requests() {
				if r.Op == s3test.OpGet && r.IfMatch == "" {
					gets = append(gets, r)
				}
			}
			if len(gets) != 0 {
				t.Errorf("%d GETs without If-Match", len(gets))
			}
		})
	}
}
