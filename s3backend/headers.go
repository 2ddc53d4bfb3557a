package s3backend

import (
	"net/http"
	"strconv"
	"strings"
)

func isInvalidRange(err error) bool {
	return httpStatus(err) == http.StatusRequestedRangeNotSatisfiable || apiCode(err) == "InvalidRange"
}

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
