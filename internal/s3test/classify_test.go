package s3test_test

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		method, target string
		copySource     string // x-amz-copy-source value
		want           string
	}{
		{"GET", "/b?list-type=2&prefix=a", "", s3test.OpList},
		{"GET", "/b", "", s3test.OpList},
		{"GET", "/b/", "", s3test.OpList},
		{"GET", "/b?versions&prefix=k", "", s3test.OpListVersions},
		{"GET", "/b?uploads&prefix=k", "", s3test.OpListUploads},
		{"GET", "/b?location", "", s3test.OpOther},
		{"GET", "/b/k", "", s3test.OpGet},
		{"GET", "/b/dir/k?partNumber=1", "", s3test.OpGet},
		{"GET", "/b/k?versionId=v1", "", s3test.OpGet},
		{"GET", "/b/k?uploadId=u1", "", s3test.OpListParts},
		{"GET", "/b/k?tagging", "", s3test.OpOther},
		{"GET", "/", "", s3test.OpOther},
		{"HEAD", "/b/k", "", s3test.OpHead},
		{"HEAD", "/b", "", s3test.OpHeadBucket},
		{"PUT", "/b/k", "", s3test.OpPut},
		{"PUT", "/b/dir/", "", s3test.OpPut},
		{"PUT", "/b/k", "/b/src", s3test.OpCopy},
		{"PUT", "/b/k?partNumber=2&uploadId=u1", "", s3test.OpUploadPart},
		{"PUT", "/b/k?partNumber=2&uploadId=u1", "/b/src", s3test.OpUploadPartCopy},
		{"PUT", "/b", "", s3test.OpOtherWrite},
		{"PUT", "/b?versioning", "", s3test.OpOtherWrite},
		{"PUT", "/b/k?tagging", "", s3test.OpOtherWrite},
		{"POST", "/b/k?uploads", "", s3test.OpCreateUpload},
		{"POST", "/b/k?uploadId=u1", "", s3test.OpCompleteUpload},
		{"POST", "/b?delete", "", s3test.OpPost},
		{"POST", "/b", "", s3test.OpPost},
		{"DELETE", "/b/k", "", s3test.OpDelete},
		{"DELETE", "/b/k?versionId=v1", "", s3test.OpDelete},
		{"DELETE", "/b/k?uploadId=u1", "", s3test.OpAbortUpload},
		{"DELETE", "/b", "", s3test.OpOtherWrite},
		{"DELETE", "/b/k?tagging", "", s3test.OpOtherWrite},
		{"OPTIONS", "/b/k", "", s3test.OpOther},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		if tt.copySource != "" {
			r.Header.Set("X-Amz-Copy-Source", tt.copySource)
		}
		if got := s3test.Classify(r); got != tt.want {
			t.Errorf("%s %s (copy source %q) = %s, want %s", tt.method, tt.target, tt.copySource, got, tt.want)
		}
		if got, want := s3test.IsWriteOp(tt.want), tt.method != "GET" && tt.method != "HEAD" && tt.method != "OPTIONS"; got != want {
			t.Errorf("IsWriteOp(%s) = %v, want %v", tt.want, got, want)
		}
	}
}

func TestOpsListed(t *testing.T) {
	all := s3test.AllOps()
	for _, op := range s3test.WriteOps() {
		if !slices.Contains(all, op) {
			t.Errorf("write op %s missing from AllOps", op)
		}
	}
	seen := map[string]bool{}
	for _, op := range all {
		if seen[op] {
			t.Errorf("op %s listed twice", op)
		}
		seen[op] = true
	}
	if seen[s3test.OpGet] && s3test.IsWriteOp(s3test.OpGet) {
		t.Error("GET is a write")
	}
}
