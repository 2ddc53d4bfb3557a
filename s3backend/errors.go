package s3backend

import (
	"errors"
	iofs "io/fs"
)

// Sentinel errors. Every error returned by this package wraps the operation
// and key (e.g. `get "a/b.jpg": ...`) and, where the failure is understood,
// one of these; test with errors.Is.
var (
	// ErrNotExist: no such key (404 NoSuchKey / NotFound). Wraps io/fs.ErrNotExist.
	ErrNotExist = wrapSentinel("object does not exist", iofs.ErrNotExist)
	// ErrNoBucket: the bucket does not exist (NoSuchBucket), or the key cannot see it.
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrAccessDenied: 403 AccessDenied, or the key lacks a capability. Wraps io/fs.ErrPermission.
	ErrAccessDenied = wrapSentinel("access denied", iofs.ErrPermission)
	// ErrBadCredentials: the key id or secret is wrong (InvalidAccessKeyId,
	// SignatureDoesNotMatch, 401).
	ErrBadCredentials = errors.New("invalid credentials")
	// ErrNoCredentials: no key was given and the AWS SDK's default chain
	// found none (Check).
	ErrNoCredentials = errors.New("no credentials")
	// ErrChanged: the object no longer matches the ETag it was opened with
	// (412 PreconditionFailed on an If-Match GET, or a different ETag came back).
	ErrChanged = errors.New("object changed since it was listed")
	// ErrThrottled: the server kept answering 503 SlowDown / 429 after every retry.
	ErrThrottled = errors.New("throttled by server")
	// ErrUnavailable: the server could not be reached or kept failing (connection
	// refused or reset, timeouts, 500/502/503/504) after every retry.
	ErrUnavailable = errors.New("server unavailable")
)

type sentinel struct {
	msg  string
	base error
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Unwrap() error { return e.base }

func wrapSentinel(msg string, base error) error { return &sentinel{msg: msg, base: base} }
