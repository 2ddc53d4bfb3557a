package s3test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Examples from the AWS docs, "Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk".
func TestSignerAWSExamples(t *testing.T) {
	const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signer := Signer{
		KeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		Region:    "us-east-1",
		Now:       func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) },
	}
	tests := []struct {
		name, url, rng, wantHeaders, wantSig string
	}{
		{"GetObject", "https://examplebucket.s3.amazonaws.com/test.txt", "bytes=0-9",
			"host;range;x-amz-content-sha256;x-amz-date",
			"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
		{"GetBucketLifecycle", "https://examplebucket.s3.amazonaws.com/?lifecycle", "",
			"host;x-amz-content-sha256;x-amz-date",
			"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		{"ListObjects", "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", "",
			"host;x-amz-content-sha256;x-amz-date",
			"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			if err := signer.Sign(req, emptyHash); err != nil {
				t.Fatal(err)
			}
			auth := req.Header.Get("Authorization")
			want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=" +
				tt.wantHeaders + ", Signature=" + tt.wantSig
			if auth != want {
				t.Errorf("Authorization =\n  %s\nwant\n  %s", auth, want)
			}
		})
	}
}

func TestSigv4Escape(t *testing.T) {
	for in, want := range map[string]string{
		"/a b/c+d~e_f.g-h": "/a%20b/c%2Bd~e_f.g-h",
		"/ü/%":             "/%C3%BC/%25",
	} {
		if got := encodeURIPath(in); got != want {
			t.Errorf("encodeURIPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sigv4Escape("a/b=c&d", true); got != "a%2Fb%3Dc%26d" {
		t.Errorf("query escape = %q", got)
	}
	// The escaped path must be what goes on the wire.
	req, _ := http.NewRequest(http.MethodGet, "http://h/b/a%20b+c", nil)
	if err := (Signer{KeyID: "k", SecretKey: "s"}).Sign(req, ""); err != nil {
		t.Fatal(err)
	}
	if got := req.URL.EscapedPath(); got != "/b/a%20b%2Bc" {
		t.Errorf("wire path = %q", got)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "x-amz-content-sha256") || req.Header.Get("X-Amz-Content-Sha256") != UnsignedPayload {
		t.Errorf("headers = %v", req.Header)
	}
}
