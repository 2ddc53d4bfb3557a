package fs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// An upload that fails with "no such key" (its multipart upload was
// aborted by someone else, or a retried complete found it gone) makes
// close fail with EIO, as every failed upload does: the file's name is
// there, so "No such file or directory" would be false.
func TestCloseOfAnUploadThatVanishedIsEIO(t *testing.T) {
	st := memstore.New()
	mnt := rwMount(t, st)
	st.SetFault(func(op, key string) error {
		if op == memstore.OpComplete {
			return fmt.Errorf("%w: NoSuchUpload", s3backend.ErrNotExist)
		}
		return nil
	})
	err := os.WriteFile(filepath.Join(mnt, "big.bin"), bytes.Repeat([]byte("x"), 12<<20), 0o644)
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("close after the complete found no upload: %v, want EIO", err)
	}
	if _, ok := st.Data("big.bin"); ok {
		t.Error("an object appeared")
	}
}
