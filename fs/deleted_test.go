package fs_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/testenv"
)

// An open file has no path to be missing: when its object is deleted on
// the server while the file is open, further reads fail with EIO, as for
// a replaced object, and never with ENOENT.
func TestObjectDeletedDuringReadGivesEIO(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			srv := testenv.StartServer(t, kind)
			const bucket = "work"
			if err := srv.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte("some content\n"), 2<<20) // 26 MiB
			if err := srv.PutObject(bucket, "f.bin", data); err != nil {
				t.Fatal(err)
			}
			mnt := mountBucket(t, srv, bucket, "")
			fh, err := os.Open(filepath.Join(mnt, "f.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			buf := make([]byte, 64<<10)
			if _, err := io.ReadFull(fh, buf); err != nil || !bytes.Equal(buf, data[:len(buf)]) {
				t.Fatalf("first read: %v", err)
			}
			if err := srv.DeleteObject(bucket, "f.bin"); err != nil {
				t.Fatal(err)
			}
			// Far beyond what the first read could have fetched ahead, and
			// again after the failure: each read asks the server anew.
			for _, off := range []int64{20 << 20, 24 << 20} {
				n, err := fh.ReadAt(buf, off)
				if !errors.Is(err, syscall.EIO) {
					t.Errorf("read at %d MiB after delete: %d bytes, err %v; want EIO, never ENOENT", off>>20, n, err)
				}
			}
		})
	}
}
