package s3backend

import (
	"net/http"
	"strconv"
	"strings"
)

func isInvalidRange(err error) bool {
	return httpStatus(err) == http.StatusRequestedRangeNotSatisfiable || apiCode(err) == "InvalidRange"
}

// SameETag reports whether two ETags name one version: they compare
// without quotes and a weak prefix, which servers and callers differ in
// keeping ("abc" and `"abc"` are one version).
func SameETag(a, b string) bool { return trimETag(a) == trimETag(b) }

// ifMatch is etag as an If-Match header wants it: one strong, quoted
// entity tag, however the caller kept it.
func ifMatch(etag string) string { return `"` + trimETag(etag) + `"` }

// trimETag drops a weak prefix and quotes, so "abc" and `"abc"` compare equal.
func trimETag(s string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`)
}

// contentRangeEnd parses "bytes 0-99/1000" into the exclusive end 100.
func contentRangeEnd(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !ok {
		return 0, false
	}
	span, _, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, false
	}
	_, last, ok := strings.Cut(span, "-")
	if !ok {
		return 0, false
	}
	e, err := strconv.ParseInt(strings.TrimSpace(last), 10, 64)
	if err != nil || e < 0 {
		return 0, false
	}
	return e + 1, true
}
