package s3test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// B2's write limits, as the proxy enforces them (see checkB2Rules).
const (
	// B2MaxKeyBytes is the longest file name B2 takes, in bytes of UTF-8.
	B2MaxKeyBytes = 1024
	// B2MaxPutSize is the largest PutObject: 5 GiB.
	B2MaxPutSize = 5 << 30
	// B2MinPartSize is the smallest part of a multipart upload but the
	// last: 5 MB (not MiB).
	B2MinPartSize = 5_000_000
	// B2MaxPartSize is the largest part: 5 GB (not GiB).
	B2MaxPartSize = 5_000_000_000
	// B2MaxParts is the most parts of one upload, and the highest part
	// number.
	B2MaxParts = 10_000
)

// nameOps are the requests that create a name, whose key must be a valid
// B2 file name.
var nameOps = []string{OpPut, OpCopy, OpCreateUpload, OpUploadPart, OpUploadPartCopy, OpCompleteUpload}

// checkB2Rules returns B2's answer to a request that B2 refuses for its
// headers, key or size alone, or nil. It reads neither the body nor any
// state; the part sizes of a CompleteMultipartUpload are partLedger's.
//
// The answers, and where they come from:
//   - any x-amz-checksum-* or x-amz-sdk-checksum-algorithm header: 400
//     InvalidArgument "Unsupported header '<name>' received for this API
//     call." (B2's own words, quoted in many client bug reports); the same
//     for x-amz-trailer and a STREAMING-...-TRAILER payload hash, which
//     carry a checksum after the body (guessed: the same answer);
//   - If-None-Match or If-Match on PutObject: 501 NotImplemented "A header
//     you provided implies functionality that is not implemented" (B2's
//     words, quoted in a client's bug report); on CompleteMultipartUpload
//     the same (guessed: B2 implements no conditional write);
//   - a key of a name-creating request (PutObject, CopyObject's
//     destination, the multipart requests) that is not UTF-8, is longer
//     than 1,024 bytes, ends in "/" or holds a byte below 32 or DEL (127):
//     400 InvalidRequest with B2's file-name messages (the rules are B2's
//     documented file-name rules; the code is a guess);
//   - PutObject above 5 GiB, a part above 5 GB: 400 EntityTooLarge (S3's
//     code; guessed for B2);
//   - a part number outside 1..10,000: 400 InvalidArgument (S3's answer;
//     guessed for B2).
func checkB2Rules(r *http.Request, op string) *s3Error {
	if e := checkChecksumHeaders(r); e != nil {
		return e
	}
	if (op == OpPut || op == OpCompleteUpload) && (r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Match") != "") {
		return &s3Error{http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented"}
	}
	if slices.Contains(nameOps, op) {
		_, key := splitPath(r.URL.Path)
		if msg := keyProblem(key); msg != "" {
			return &s3Error{http.StatusBadRequest, "InvalidRequest", msg}
		}
	}
	switch op {
	case OpPut:
		if size := requestSize(r); size > B2MaxPutSize {
			return tooLarge(size, B2MaxPutSize)
		}
	case OpUploadPart, OpUploadPartCopy:
		if _, ok := partNumber(r.URL.Query().Get("partNumber")); !ok {
			return &s3Error{http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"}
		}
		size := requestSize(r)
		if op == OpUploadPartCopy {
			size = copyRangeSize(r.Header.Get("X-Amz-Copy-Source-Range"))
		}
		if size > B2MaxPartSize {
			return tooLarge(size, B2MaxPartSize)
		}
	}
	return nil
}

// checkChecksumHeaders refuses the headers that carry a checksum.
func checkChecksumHeaders(r *http.Request) *s3Error {
	var bad []string
	for name := range r.Header {
		n := strings.ToLower(name)
		if strings.HasPrefix(n, "x-amz-checksum-") || n == "x-amz-sdk-checksum-algorithm" || n == "x-amz-trailer" {
			bad = append(bad, n)
		}
	}
	if sha := r.Header.Get("X-Amz-Content-Sha256"); strings.HasPrefix(sha, "STREAMING-") && strings.HasSuffix(sha, "-TRAILER") {
		bad = append(bad, "x-amz-content-sha256")
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad) // the same request gets the same answer
	return &s3Error{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Unsupported header '%s' received for this API call.", bad[0])}
}

// keyProblem returns why B2 refuses key as a file name, or "".
func keyProblem(key string) string {
	switch {
	case !utf8.ValidString(key):
		return "File names must be valid UTF-8"
	case len(key) > B2MaxKeyBytes:
		return fmt.Sprintf("File names must be at most %d bytes, not %d", B2MaxKeyBytes, len(key))
	case strings.HasSuffix(key, "/"):
		return "File names must not end with '/'"
	}
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c < 32:
			return "File names must not contain unicode characters with codes less than 32"
		case c == 127:
			return "File names must not contain DEL characters"
		}
	}
	return ""
}

// tooLarge is the answer to a body above max bytes.
func tooLarge(size, max int64) *s3Error {
	return &s3Error{http.StatusBadRequest, "EntityTooLarge",
		fmt.Sprintf("Your proposed upload exceeds the maximum allowed size (%d bytes, at most %d)", size, max)}
}

// requestSize is the size of r's body: X-Amz-Decoded-Content-Length for an
// aws-chunked body, else Content-Length; -1 when unknown.
func requestSize(r *http.Request) int64 {
	if d := r.Header.Get("X-Amz-Decoded-Content-Length"); d != "" {
		if n, err := strconv.ParseInt(d, 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	return r.ContentLength
}

// partNumber parses a part number, which must be in 1..B2MaxParts.
func partNumber(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= 1 && n <= B2MaxParts
}

// copyRangeSize is the size of an x-amz-copy-source-range "bytes=a-b", or
// -1 for none or a malformed one (the server judges those).
func copyRangeSize(v string) int64 {
	a, b, ok := strings.Cut(strings.TrimPrefix(v, "bytes="), "-")
	if !ok || !strings.HasPrefix(v, "bytes=") {
		return -1
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || last < first {
		return -1
	}
	return last - first + 1
}
