package s3test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The size limits at their edges, without sending gigabytes.
func TestB2RuleSizeEdges(t *testing.T) {
	tests := []struct {
		target      string
		size        int64
		decoded     string // X-Amz-Decoded-Content-Length
		copyRange   string
		wantRefusal string // S3 code, "" for none
	}{
		{"/b/k", B2MaxPutSize, "", "", ""},
		{"/b/k", B2MaxPutSize + 1, "", "", "EntityTooLarge"},
		{"/b/k", -1, "5368709121", "", "EntityTooLarge"}, // aws-chunked: the decoded length counts
		{"/b/k", B2MaxPutSize + 100, "100", "", ""},
		{"/b/k?partNumber=1&uploadId=u", B2MaxPartSize, "", "", ""},
		{"/b/k?partNumber=1&uploadId=u", B2MaxPartSize + 1, "", "", "EntityTooLarge"},
		{"/b/k?partNumber=1&uploadId=u", 0, "", "bytes=0-4999999999", ""},
		{"/b/k?partNumber=1&uploadId=u", 0, "", "bytes=10-5000000010", "EntityTooLarge"},
		{"/b/k?partNumber=1&uploadId=u", 0, "", "bytes=oops", ""}, // malformed: the server's to judge
	}
	for _, tt := range tests {
		r := httptest.NewRequest("PUT", tt.target, nil)
		r.ContentLength = tt.size
		if tt.decoded != "" {
			r.Header.Set("X-Amz-Decoded-Content-Length", tt.decoded)
		}
		if tt.copyRange != "" {
			r.Header.Set("X-Amz-Copy-Source", "/b/src")
			r.Header.Set("X-Amz-Copy-Source-Range", tt.copyRange)
		}
		e := checkB2Rules(r, Classify(r))
		switch {
		case tt.wantRefusal == "" && e != nil:
			t.Errorf("%s of %d (decoded %q, range %q): refused %v", tt.target, tt.size, tt.decoded, tt.copyRange, e)
		case tt.wantRefusal != "" && (e == nil || e.Code != tt.wantRefusal || e.Status != 400):
			t.Errorf("%s of %d (decoded %q, range %q): %v, want 400 %s", tt.target, tt.size, tt.decoded, tt.copyRange, e, tt.wantRefusal)
		}
	}
}

func TestKeyProblem(t *testing.T) {
	ok := []string{"a", strings.Repeat("x", B2MaxKeyBytes), "a b", "dir/file", "é", "\u007e", "\u0080"}
	for _, k := range ok {
		if p := keyProblem(k); p != "" {
			t.Errorf("keyProblem(%q) = %q, want none", k, p)
		}
	}
	bad := []string{strings.Repeat("x", B2MaxKeyBytes+1), "d/", "/", "\x00", "a\x1fb", "\x7f", "\xc3"}
	for _, k := range bad {
		if keyProblem(k) == "" {
			t.Errorf("keyProblem(%q) found nothing", k)
		}
	}
}
