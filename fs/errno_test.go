package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func TestToErrno(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{syscall.EROFS, syscall.EROFS},
		{fmt.Errorf("head %q: %w", "k", s3backend.ErrNotExist), syscall.ENOENT},
		{fmt.Errorf("list: %w", s3backend.ErrAccessDenied), syscall.EACCES},
		{fmt.Errorf("list: %w", s3backend.ErrBadCredentials), syscall.EACCES},
		{fmt.Errorf("get: %w", s3backend.ErrChanged), syscall.EIO},
		{fmt.Errorf("get: %w", s3backend.ErrThrottled), syscall.EIO},
		// An outage: the transport's errno must not reach the kernel
		// ("Connection refused" from cat), nor a 503 become ENOENT.
		{fmt.Errorf("get: %w: %w", s3backend.ErrUnavailable, refused), syscall.EIO},
		{fmt.Errorf("get: %w", refused), syscall.EIO},
		{fmt.Errorf("list: %w: %w", s3backend.ErrThrottled, s3backend.ErrNotExist), syscall.EIO},
		{fmt.Errorf("read: %w", context.Canceled), syscall.EINTR},
		{context.DeadlineExceeded, syscall.EIO},
		{io.ErrUnexpectedEOF, syscall.EIO},
		{errors.New("anything"), syscall.EIO},
	} {
		if got := toErrno(tc.err); got != tc.want {
			t.Errorf("toErrno(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
