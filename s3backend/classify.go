package s3backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// classify wraps err with the sentinel that says what went wrong, or returns
// it unchanged when it is not understood. It is the one place that maps S3
// codes and HTTP statuses to sentinels:
//
//	5xx, 408, RequestTimeout, InternalError, ServiceUnavailable,
//	network errors, attempt timeouts          -> ErrUnavailable
//	429, SlowDown                             -> ErrThrottled
//	InvalidAccessKeyId, SignatureDoesNotMatch,
//	AuthorizationHeaderMalformed, 401,
//	XAdminUserNotFound (versitygw)            -> ErrBadCredentials
//	NoSuchBucket                              -> ErrNoBucket
//	AccessDenied, 403                         -> ErrAccessDenied
//	PreconditionFailed, 412                   -> ErrChanged
//	NoSuchKey, NotFound, 404,
//	NoSuchUpload, NoSuchVersion               -> ErrNotExist
//
// Server failures are decided first, so a 503 never becomes ErrNotExist.
// HEAD errors have no body; the SDK then names the code after the status
// ("NotFound", "Forbidden", ...), and the status decides.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if s := sentinelOf(err); s != nil && !errors.Is(err, s) {
		return fmt.Errorf("%w: %w", s, err)
	}
	return err
}

// sentinelOf returns the sentinel err belongs to, or nil.
func sentinelOf(err error) error {
	for _, s := range []error{ErrNotExist, ErrNoBucket, ErrAccessDenied, ErrBadCredentials,
		ErrChanged, ErrThrottled, ErrUnavailable} {
		if errors.Is(err, s) {
			return s
		}
	}

	status := httpStatus(err)
	code := apiCode(err)

	switch {
	case status == http.StatusTooManyRequests || code == "SlowDown" || code == "TooManyRequests":
		return ErrThrottled
	case status == 500 || status == 502 || status == 503 || status == 504 ||
		status == http.StatusRequestTimeout ||
		code == "InternalError" || code == "ServiceUnavailable" || code == "RequestTimeout":
		return ErrUnavailable
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
		code == "AuthorizationHeaderMalformed" || code == "InvalidToken" ||
		code == "ExpiredToken" || status == http.StatusUnauthorized ||
		code == "XAdminUserNotFound": // versitygw's answer to an unknown key id

		return ErrBadCredentials
	case code == "NoSuchBucket":
		return ErrNoBucket
	case code == "AccessDenied" || status == http.StatusForbidden:
		return ErrAccessDenied
	case code == "PreconditionFailed" || status == http.StatusPreconditionFailed:
		return ErrChanged
	case isNotFound(err, code, status) || code == "NoSuchUpload" || code == "NoSuchVersion":
		return ErrNotExist
	case status == 0 && isNetworkError(err):
		return ErrUnavailable
	}
	return nil
}

func isNotFound(err error, code string, status int) bool {
	if status != 0 && status != http.StatusNotFound {
		return false
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nsk) || errors.As(err, &nf) ||
		code == "NoSuchKey" || code == "NotFound" || status == http.StatusNotFound
}

// httpStatus is the response status behind err, or 0 when there was none.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.HTTPStatusCode()
	}
	return 0
}

// responseHeader returns a header of the response behind err, or "".
func responseHeader(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// apiCode is the S3 error code behind err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// apiMessage is the server's error message behind err, or "".
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// timeoutError reports an attempt this package abandoned: no response
// headers within RequestTimeout, or no body byte within ReadIdleTimeout
// (or what was left of the operation's deadline). It deliberately does not
// unwrap: the failure it replaces is this package's own cancellation
// (context.Canceled from a watchdog, DeadlineExceeded from a timer), which
// a caller must never mistake for its own ctx being cancelled (the file
// system would answer EINTR, and programs retry EINTR forever).
type timeoutError struct {
	what  string // "response" or "data"
	after time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no %s within %s", e.what, e.after.Round(time.Millisecond))
}
func (e *timeoutError) Timeout() bool { return true }

// deadlineError reports an operation that ran out of OperationTimeout
// before any attempt succeeded. It wraps the last failure, so it keeps
// that failure's sentinel.
type deadlineError struct {
	after    time.Duration
	attempts int
	last     error
}

func (e *deadlineError) Error() string {
	return fmt.Sprintf("no success within %s (%d attempts): %v", e.after, e.attempts, e.last)
}
func (e *deadlineError) Unwrap() error { return e.last }
func (e *deadlineError) Timeout() bool { return true }

// isNetworkError reports transport failures: the request could not be sent
// or the response (or its body) broke off.
func isNetworkError(err error) bool {
	var send *smithyhttp.RequestSendError
	var te *timeoutError
	var ne net.Error
	switch {
	case errors.As(err, &te), errors.As(err, &send), errors.As(err, &ne):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, context.DeadlineExceeded):
		// An attempt deadline; the caller's own cancellation is handled
		// before classification.
		return true
	}
	return false
}
