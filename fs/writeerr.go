package fs

import (
	"errors"
	"syscall"
)

// The writer's own errors. toErrno maps each to the errno noted; the writer
// wraps them with the operation and key.
var (
	// errNotSequential: an access to a streaming file that needs bytes
	// already uploaded (a read or write between the end of part 1 and the
	// part being filled, a truncation below the part being filled, a gap
	// past the part being filled). An unfinished multipart upload cannot
	// be read back, so the access is refused, and the file cannot be
	// committed any more: every later access fails the same way. EINVAL.
	errNotSequential = errors.New("the file is uploaded while it is written and the bytes this needs are already sent: write it in order, or fsync before going back")
	// errFileTooBig: a write or truncation past the largest object 10,000
	// parts can hold (partLayout.maxSize). EFBIG.
	errFileTooBig = errors.New("file larger than one object can be (10,000 parts)")
	// errBadOffset: a negative offset or size. EINVAL.
	errBadOffset = errors.New("negative offset")
	// errSessionFailed: Commit of a content that can never be committed
	// any more (an access was refused, or a multipart upload failed and
	// was aborted); nothing was stored. EIO.
	errSessionFailed = errors.New("the file's content could not be saved")
	// errSessionClosed: a call after Abort. EIO.
	errSessionClosed = errors.New("write handle already released")
)

// stagingError is a failure of the local staging directory (the staged
// file, its sidecar, a part buffered in a file): a full disk reaches the
// program as ENOSPC. Only this type carries a local errno to the kernel;
// the same errno inside a network error is never mistaken for it.
type stagingError struct {
	op  string // what the writer was doing: "write staged file", ...
	err error  // the os error, with the path
}

func (e *stagingError) Error() string { return e.op + ": " + e.err.Error() }
func (e *stagingError) Unwrap() error { return e.err }

// errno is ENOSPC for a full disk or quota, EFBIG for a file the local
// file system cannot hold, EIO otherwise.
func (e *stagingError) errno() syscall.Errno {
	switch {
	case errors.Is(e.err, syscall.ENOSPC), errors.Is(e.err, syscall.EDQUOT):
		return syscall.ENOSPC
	case errors.Is(e.err, syscall.EFBIG):
		return syscall.EFBIG
	}
	return syscall.EIO
}

// staging wraps a local file error as a stagingError; nil stays nil.
func staging(op string, err error) error {
	if err == nil {
		return nil
	}
	return &stagingError{op: op, err: err}
}

// writerErrno maps the writer's errors (see above); ok is false for any
// other error.
func writerErrno(err error) (errno syscall.Errno, ok bool) {
	var se *stagingError
	switch {
	case errors.Is(err, errNotSequential), errors.Is(err, errBadOffset):
		return syscall.EINVAL, true
	case errors.Is(err, errFileTooBig):
		return syscall.EFBIG, true
	case errors.As(err, &se):
		return se.errno(), true
	}
	return 0, false
}
