package embedded_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/b2mount/b2mount/embedded"
)

// do sends an unsigned request (gofakes3 checks no signature) and returns
// the answer's status, ETag header and body.
func do(t *testing.T, method, url string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("ETag"), b
}

// A completed multipart upload answers the ETag the object then has, as
// S3 and B2 do: a client that pins its reads to it can read the object.
func TestCompleteAnswersTheStoredETag(t *testing.T) {
	s, err := embedded.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	obj := s.URL + "/bkt/dir/big.bin"
	status, _, body := do(t, http.MethodPost, obj+"?uploads", nil)
	var created struct{ UploadId string }
	if err := xml.Unmarshal(body, &created); status != 200 || err != nil {
		t.Fatalf("create upload: %d %v\n%s", status, err, body)
	}
	var parts bytes.Buffer
	for n, data := range [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")} {
		status, etag, body := do(t, http.MethodPut, fmt.Sprintf("%s?partNumber=%d&uploadId=%s", obj, n+1, created.UploadId), data)
		if status != 200 {
			t.Fatalf("part %d: %d\n%s", n+1, status, body)
		}
		fmt.Fprintf(&parts, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n+1, etag)
	}
	status, _, body = do(t, http.MethodPost, obj+"?uploadId="+created.UploadId,
		[]byte("<CompleteMultipartUpload>"+parts.String()+"</CompleteMultipartUpload>"))
	var done struct{ Bucket, Key, ETag string }
	if err := xml.Unmarshal(body, &done); status != 200 || err != nil {
		t.Fatalf("complete: %d %v\n%s", status, err, body)
	}
	if done.Bucket != "bkt" || done.Key != "dir/big.bin" {
		t.Errorf("complete answered bucket %q key %q", done.Bucket, done.Key)
	}
	status, headETag, _ := do(t, http.MethodHead, obj, nil)
	if status != 200 || done.ETag == "" || done.ETag != headETag {
		t.Errorf("complete answered ETag %s, HEAD (%d) says %s: want the same", done.ETag, status, headETag)
	}
}
