package fs

import (
	"context"
	"errors"
	"syscall"

	"github.com/b2mount/b2mount/s3backend"
)

// toErrno is the one place where Go errors become errnos at the FUSE
// boundary. Only a definite "no such key" is ENOENT: throttling, outages
// and timeouts are EIO, so a flaky server never makes files vanish.
func toErrno(err error) syscall.Errno {
	var errno syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &errno):
		return errno
	case errors.Is(err, s3backend.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, s3backend.ErrAccessDenied), errors.Is(err, s3backend.ErrBadCredentials):
		return syscall.EACCES
	case errors.Is(err, context.Canceled):
		return syscall.EINTR
	default:
		// ErrChanged, ErrThrottled, ErrUnavailable, deadlines, anything else.
		return syscall.EIO
	}
}
