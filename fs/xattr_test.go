package fs

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

// The kernel learns once that the mount has no extended attributes, so
// ls -l does not send two GETXATTRs per entry.
func TestNoExtendedAttributesForTheWholeMount(t *testing.T) {
	st := memstore.New()
	st.Set("d/a.txt", []byte("a"))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	buf := make([]byte, 256)
	for _, p := range []string{"d/a.txt", "d", "d/a.txt"} {
		_, err := syscall.Getxattr(filepath.Join(mnt, p), "security.selinux", buf)
		if !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Errorf("getxattr %s: %v, want EOPNOTSUPP (the kernel got ENOSYS once)", p, err)
		}
	}
	if _, err := syscall.Listxattr(filepath.Join(mnt, "d/a.txt"), buf); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("listxattr: %v, want EOPNOTSUPP", err)
	}
}
