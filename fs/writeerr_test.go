package fs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// The writer's errors reach the kernel as the errnos their docs promise;
// an errno inside a network error is never taken for a local one.
func TestWriteErrnos(t *testing.T) {
	full := &os.PathError{Op: "write", Path: "/staging/staged-1", Err: syscall.ENOSPC}
	netFull := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ENOSPC)}
	for _, tc := range []struct {
		err  error
		want syscall.Errno
	}{
		{fmt.Errorf("write %q: %w", "k", errNotSequential), syscall.EINVAL},
		{fmt.Errorf("write %q: %w", "k", errBadOffset), syscall.EINVAL},
		{fmt.Errorf("write %q: %w", "k", errFileTooBig), syscall.EFBIG},
		{fmt.Errorf("commit %q: %w: %v", "k", errSessionFailed, errNotSequential), syscall.EIO},
		{fmt.Errorf("write %q: %w", "k", errSessionClosed), syscall.EIO},
		{fmt.Errorf("write %q: %w", "k", staging("write staged file", full)), syscall.ENOSPC},
		{fmt.Errorf("write %q: %w", "k", staging("write staged file", &os.PathError{Op: "write", Path: "p", Err: syscall.EDQUOT})), syscall.ENOSPC},
		{fmt.Errorf("write %q: %w", "k", staging("read staged file", &os.PathError{Op: "read", Path: "p", Err: syscall.EIO})), syscall.EIO},
		{fmt.Errorf("put %q: %w: %w", "k", s3backend.ErrUnavailable, netFull), syscall.EIO},
		{fmt.Errorf("put %q: %w", "k", netFull), syscall.EIO},
		{fmt.Errorf("put %q: %w", "k", full), syscall.EIO}, // not from the staging directory
	} {
		if got := toErrno(tc.err); got != tc.want {
			t.Errorf("toErrno(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Content past what 10,000 parts hold is refused with EFBIG before
// anything changes.
func TestWritePastTheLastPartIsEFBIG(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	s := f.session("k", nil)
	ctx := context.Background()
	max := f.deps.layout().maxSize()
	if err := s.WriteAt(ctx, []byte("x"), max); !errors.Is(err, errFileTooBig) || toErrno(err) != syscall.EFBIG {
		t.Errorf("write at %d: %v, want EFBIG", max, err)
	}
	if err := s.Truncate(ctx, max+1); toErrno(err) != syscall.EFBIG {
		t.Errorf("truncate to %d: %v, want EFBIG", max+1, err)
	}
	if err := s.WriteAt(ctx, []byte("x"), -1); toErrno(err) != syscall.EINVAL {
		t.Errorf("write at -1: %v, want EINVAL", err)
	}
	if s.Size() != 0 || len(f.stagingFiles()) != 0 {
		t.Errorf("a refused write changed the session: size %d, staging %v", s.Size(), f.stagingFiles())
	}
}

// A full staging disk fails the write with ENOSPC, and the session goes
// on with what it had.
func TestStageFullDiskIsENOSPC(t *testing.T) {
	f := newWriteFixture(t, testPart, testBudget)
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("a full disk needs a small tmpfs, and mounting one failed (not root?): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount the test tmpfs %s: %v", dir, err)
		}
	})
	f.deps.staging = dir
	s := f.session("k", nil)
	ctx := context.Background()
	data := pattern(1200, 70)
	f.write(s, data, 0, 100)
	err := s.WriteAt(ctx, make([]byte, 100<<10), 100_000) // staged; more than the disk holds
	var se *stagingError
	if !errors.As(err, &se) || toErrno(err) != syscall.ENOSPC {
		t.Fatalf("write to a full disk: %v (%v), want a staging error, ENOSPC", err, toErrno(err))
	}
	if s.Size() != 1200 {
		t.Errorf("the failed write changed the size to %d", s.Size())
	}
	more := pattern(100, 71)
	f.write(s, more, 1200, 100)
	f.commit(s, "k", append(data, more...))
	s.Abort()
	f.nothingHeld()
}
