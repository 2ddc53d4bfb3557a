package fs

import (
	"context"
	"errors"
	"syscall"

	"github.com/b2mount/b2mount/s3backend"
)

// toErrno is the one place where Go errors become errnos at the FUSE
// boundary. Only a definite "no such key" is ENOENT: throttling, outages
// and timeouts are EIO, so a flaky server never makes files vanish. An
// errno deep inside a network error (ECONNREFUSED, ECONNRESET, ...) is the
// transport's detail, never the answer: only an errno the file system
// returns as such passes through.
func toErrno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if errno, ok := err.(syscall.Errno); ok {
		return errno
	}
	if errno, ok := writerErrno(err); ok {
		return errno // the writer's own (writeerr.go)
	}
	switch {
	case errors.Is(err, s3backend.ErrThrottled), errors.Is(err, s3backend.ErrUnavailable),
		errors.Is(err, s3backend.ErrChanged), errors.Is(err, s3backend.ErrNoBucket):
		return syscall.EIO // decided first: trouble never reads as "no such file"
	case errors.Is(err, s3backend.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, s3backend.ErrAccessDenied), errors.Is(err, s3backend.ErrBadCredentials):
		return syscall.EACCES
	case errors.Is(err, context.Canceled):
		return syscall.EINTR
	default:
		// Deadlines, short bodies, anything else.
		return syscall.EIO
	}
}

// isOutage reports whether err means the store could not answer (down,
// throttling, timing out), as opposed to answering that something is
// missing, forbidden or changed: the case in which an expired listing is
// still worth showing.
func isOutage(err error) bool {
	return toErrno(err) == syscall.EIO &&
		!errors.Is(err, s3backend.ErrNoBucket) && !errors.Is(err, s3backend.ErrChanged)
}
